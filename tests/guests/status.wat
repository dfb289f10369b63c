;; An HTTP-trigger function answering the status named in its path: for "/s/NNN" it
;; returns {"statusCode":NNN,"headers":{"Content-Type":"text/plain"},"body":"forged"}
;; (200 when the path has no "/s/"). For framing tests: a 1xx, 204 or 304 from a function.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"statusCode\":200,\"headers\":{\"Content-Type\":\"text/plain\"},\"body\":\"forged\"}")
  (global $heap (mut i32) (i32.const 1024))
  (func $alloc (export "wasmhost_alloc") (param $n i32) (result i32)
    (local $p i32) (local $end i32)
    (local.set $p (global.get $heap))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.lt_s (memory.grow (i32.add (i32.shr_u (local.get $n) (i32.const 16)) (i32.const 1))) (i32.const 0))
        (then (return (i32.const 0))))))
    (global.set $heap (local.get $end))
    (local.get $p))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (local $i i32) (local $end i32)
    (global.set $heap (i32.const 1024))
    (local.set $i (local.get $p))
    (local.set $end (i32.sub (i32.add (local.get $p) (local.get $n)) (i32.const 7)))
    (block $found
      (loop $scan
        (br_if $found (i32.gt_s (local.get $i) (local.get $end)))
        ;; the bytes "/s/ as a little-endian i32
        (if (i32.eq (i32.load (local.get $i)) (i32.const 0x2f732f22))
          (then (memory.copy (i32.const 30) (i32.add (local.get $i) (i32.const 4)) (i32.const 3))
                (br $found)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 74)))
)
