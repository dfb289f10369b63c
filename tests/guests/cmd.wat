;; A WASI command: reads the event from stdin, writes "cmd:" + event to stdout and a
;; line to stderr. The event "exit3" makes it exit with status 3.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "cmd:")
  (data (i32.const 16) "stderr line\n")  ;; 12 bytes
  (func (export "_start")
    (local $total i32)
    ;; read stdin into 1024.. until EOF (iovec at 64, nread at 80)
    (block $eof (loop $more
      (i32.store (i32.const 64) (i32.add (i32.const 1024) (local.get $total)))
      (i32.store (i32.const 68) (i32.const 65536))
      (drop (call $fd_read (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 80)))
      (br_if $eof (i32.eqz (i32.load (i32.const 80))))
      (local.set $total (i32.add (local.get $total) (i32.load (i32.const 80))))
      (br $more)))
    ;; stderr line
    (i32.store (i32.const 64) (i32.const 16))
    (i32.store (i32.const 68) (i32.const 12))
    (drop (call $fd_write (i32.const 2) (i32.const 64) (i32.const 1) (i32.const 80)))
    ;; "exit3" -> exit status 3
    (if (i32.and (i32.eq (local.get $total) (i32.const 5))
                 (i32.eq (i32.load8_u (i32.const 1028)) (i32.const 51)))
      (then (call $proc_exit (i32.const 3))))
    ;; stdout: "cmd:" then the event (one fd_write each: WASI may write only the
    ;; first iovec of a call, and these buffers are small enough to go in one)
    (i32.store (i32.const 64) (i32.const 0))
    (i32.store (i32.const 68) (i32.const 4))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 80)))
    (i32.store (i32.const 64) (i32.const 1024))
    (i32.store (i32.const 68) (local.get $total))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 80))))
)
