;; hello: answers "Hello, <event>!" and logs a line. Build: none (WebAssembly text
;; is compiled at deploy). Run: wasmhost invoke examples/hello.wat world
(module
  (import "wasmhost" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "Hello, ")      ;; 7 bytes
  (data (i32.const 16) "!")
  (data (i32.const 32) "saying hello")  ;; 12 bytes
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 4096))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (call $log (i32.const 32) (i32.const 12))
    ;; result at 1024: "Hello, " + event + "!"
    (memory.copy (i32.const 1024) (i32.const 0) (i32.const 7))
    (memory.copy (i32.const 1031) (local.get $p) (local.get $n))
    (i32.store8 (i32.add (i32.const 1031) (local.get $n)) (i32.const 33))
    (i64.or (i64.shl (i64.const 1024) (i64.const 32))
            (i64.extend_i32_u (i32.add (local.get $n) (i32.const 8)))))
)
