;; Uses every wasmhost import. Event "log": logs two lines, returns "ok".
;; (A leading double quote is skipped, so the JSON string "\"log\"" works too.)
;; "context": returns the msgpack context map. "fail": reports a function error.
;; "remaining": returns remaining_ms as 8 bytes little endian.
(module
  (import "wasmhost" "log" (func $log (param i32 i32)))
  (import "wasmhost" "context" (func $context (param i32 i32) (result i32)))
  (import "wasmhost" "error" (func $error (param i32 i32 i32 i32)))
  (import "wasmhost" "remaining_ms" (func $remaining (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "first line")          ;; 0..10
  (data (i32.const 16) "second line\n")      ;; 16..28
  (data (i32.const 32) "ok")                 ;; 32..34
  (data (i32.const 48) "ValidationError")    ;; 48..63
  (data (i32.const 64) "event was rejected") ;; 64..82
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (local $len i32) (local $c i32)
    ;; dispatch on the first byte: l(og), c(ontext), f(ail), r(emaining)
    (local.set $c (i32.load8_u (local.get $p)))
    (if (i32.eq (local.get $c) (i32.const 34))
      (then (local.set $c (i32.load8_u (i32.add (local.get $p) (i32.const 1))))))
    (if (i32.eq (local.get $c) (i32.const 108))
      (then
        (call $log (i32.const 0) (i32.const 10))
        (call $log (i32.const 16) (i32.const 12))
        (return (i64.or (i64.shl (i64.const 32) (i64.const 32)) (i64.const 2)))))
    (if (i32.eq (local.get $c) (i32.const 99))
      (then
        ;; ask for the size first with cap 0, then fetch into 4096
        (local.set $len (call $context (i32.const 4096) (i32.const 0)))
        (drop (call $context (i32.const 4096) (local.get $len)))
        (return (i64.or (i64.shl (i64.const 4096) (i64.const 32)) (i64.extend_i32_u (local.get $len))))))
    (if (i32.eq (local.get $c) (i32.const 102))
      (then
        (call $error (i32.const 48) (i32.const 15) (i32.const 64) (i32.const 18))
        (return (i64.const 0))))
    (i64.store (i32.const 2048) (call $remaining))
    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 8)))
)
