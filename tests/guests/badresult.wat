;; Returns a result pointer far outside its memory: garbage the host must refuse.
(module
  (memory (export "memory") 1)
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (i64.const 0x7FFF000000000100))
)
