;; sum_to: CPU-bound. The event is a decimal number N; the result is 1 + 2 + ... + N.
;; Shows fuel at work: the same N always costs the same fuel, and a large N runs out.
;;   wasmhost invoke examples/sum_to.wat 1000
;;   wasmhost invoke examples/sum_to.wat 100000000 --fuel 1000000   # FuelExhausted
(module
  (memory (export "memory") 1)
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "wasmhost_handle") (param $p i32) (param $len i32) (result i64)
    (local $n i64) (local $i i32) (local $acc i64) (local $out i32)
    ;; parse decimal digits
    (block $done (loop $digits
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $n (i64.add (i64.mul (local.get $n) (i64.const 10))
        (i64.extend_i32_u (i32.sub (i32.load8_u (i32.add (local.get $p) (local.get $i))) (i32.const 48)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $digits)))
    ;; the slow way on purpose: a loop of N additions
    (block $end (loop $sum
      (br_if $end (i64.eqz (local.get $n)))
      (local.set $acc (i64.add (local.get $acc) (local.get $n)))
      (local.set $n (i64.sub (local.get $n) (i64.const 1)))
      (br $sum)))
    ;; format acc as decimal, right to left, ending at 2048
    (local.set $out (i32.const 2048))
    (loop $fmt
      (local.set $out (i32.sub (local.get $out) (i32.const 1)))
      (i32.store8 (local.get $out) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $acc) (i64.const 10)))))
      (local.set $acc (i64.div_u (local.get $acc) (i64.const 10)))
      (br_if $fmt (i64.ne (local.get $acc) (i64.const 0))))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
            (i64.extend_i32_u (i32.sub (i32.const 2048) (local.get $out)))))
)
