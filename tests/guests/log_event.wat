;; Logs the event it is given (all of it, as one log entry) and returns "ok":
;; what a test reads back to see the exact document a function received.
(module
  (import "wasmhost" "log" (func $log (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "ok")
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (call $log (local.get $p) (local.get $n))
    (i64.const 2)))
