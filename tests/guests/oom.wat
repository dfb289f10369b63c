;; Grows its memory a page at a time until growth is refused, then traps, as a
;; language runtime aborts on allocation failure.
(module
  (memory (export "memory") 1)
  (func (export "wasmhost_alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "wasmhost_handle") (param $p i32) (param $n i32) (result i64)
    (loop $more
      (br_if $more (i32.ge_s (memory.grow (i32.const 1)) (i32.const 0))))
    (unreachable))
)
