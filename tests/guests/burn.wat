;; CPU-bound: loops N times, N = the event's first 4 bytes (little endian), and
;; returns N. The same N always costs the same fuel.
(module
  (memory (export "memory") 1)
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (local $i i32) (local $acc i32)
    (local.set $i (i32.load (local.get $p)))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $i)))
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.store (i32.const 0) (local.get $acc))
    (i64.const 4))
)
