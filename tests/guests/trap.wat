;; Traps on every call after writing to its memory.
(module
  (memory (export "memory") 1)
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (unreachable))
)
