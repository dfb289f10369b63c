;; Module state survives between warm invocations: returns how many times it ran
;; (4 bytes, little endian). A strict (fresh) instance always answers 1.
(module
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store (i32.const 0) (global.get $count))
    (i64.const 4))  ;; ptr 0, len 4
)
