;; The 64-byte echo of the benchmarks: a bump allocator that resets per call,
;; and a handle that copies the event to a fresh buffer and returns it.
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func $alloc (export "wasmhost_alloc") (param $n i32) (result i32)
    (local $p i32) (local $end i32)
    (local.set $p (global.get $heap))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    ;; grow when the buffer does not fit
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.lt_s (memory.grow (i32.add (i32.shr_u (local.get $n) (i32.const 16)) (i32.const 1))) (i32.const 0))
        (then (return (i32.const 0))))))
    (global.set $heap (local.get $end))
    (local.get $p))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (local $out i32)
    (local.set $out (call $alloc (local.get $n)))
    (memory.copy (local.get $out) (local.get $p) (local.get $n))
    (global.set $heap (i32.const 1024))  ;; the next event starts over
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32)) (i64.extend_i32_u (local.get $n))))
)
