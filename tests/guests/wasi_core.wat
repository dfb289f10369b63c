;; A core-ABI module that also prints through WASI (as C's printf would): the
;; line goes to the invocation's log; the event is echoed back.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello from wasi stdout\n")  ;; 23 bytes
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (i32.store (i32.const 100) (i32.const 0))   ;; iovec.buf
    (i32.store (i32.const 104) (i32.const 23))  ;; iovec.len
    (drop (call $fd_write (i32.const 1) (i32.const 100) (i32.const 1) (i32.const 200)))
    (i64.or (i64.shl (i64.const 1024) (i64.const 32)) (i64.extend_i32_u (local.get $n))))
)
