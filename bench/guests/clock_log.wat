;; Logs the wall clock (WASI realtime, ns, in decimal) at the moment it runs:
;; bench_s3.py's "function start" for notification latency.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasmhost" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 4096))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (local $v i64) (local $pos i32)
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 0)))
    (local.set $v (i64.load (i32.const 0)))
    (local.set $pos (i32.const 2000))
    (loop $digits
      (local.set $pos (i32.sub (local.get $pos) (i32.const 1)))
      (i32.store8 (local.get $pos) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $v) (i64.const 0))))
    (call $log (local.get $pos) (i32.sub (i32.const 2000) (local.get $pos)))
    (i64.const 0)))
