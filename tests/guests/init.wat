;; wasmhost_init runs once per instance before its first invocation; handle
;; returns what init stored (the byte 42) plus how often init ran.
(module
  (memory (export "memory") 1)
  (global $inits (mut i32) (i32.const 0))
  (func (export "wasmhost_init")
    (global.set $inits (i32.add (global.get $inits) (i32.const 1)))
    (i32.store8 (i32.const 0) (i32.const 42)))
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (i32.store8 (i32.const 1) (global.get $inits))
    (i64.const 2))
)
