;; out[j, i] = x[i, j] for r0 <= i < r1, j < cols: the transposed weights the
;; backward products read row by row (dz Wx^T, dz Wh^T, dlogits Wd^T).
;; Shapes: x [rows, cols], out [cols, rows], both contiguous f32.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "transpose") (param $out i32) (param $x i32) (param $rows i32) (param $cols i32) (param $r0 i32) (param $r1 i32)
    (local $i i32) (local $j i32) (local $src i32) (local $dst i32) (local $outStride i32)
    (local.set $outStride (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $i (local.get $r0))
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $i) (local.get $r1)))
        (local.set $src (i32.add (local.get $x) (i32.shl (i32.mul (local.get $i) (local.get $cols)) (i32.const 2))))
        (local.set $dst (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $cols)))
            (f32.store (local.get $dst) (f32.load (local.get $src)))
            (local.set $src (i32.add (local.get $src) (i32.const 4)))
            (local.set $dst (i32.add (local.get $dst) (local.get $outStride)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rowLoop))))
)
