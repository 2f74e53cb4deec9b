;; out[j] = sum over r < rows of x[r, j], for j < n (bias gradients).
;; Shapes: x [rows, n] with rows ldx bytes apart, out [n] contiguous; n a
;; multiple of 4. Rows are added one after another into out (which stays in
;; L1), reading x in address order.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "columnSum") (param $out i32) (param $x i32) (param $rows i32) (param $ldx i32) (param $n i32)
    (local $r i32) (local $j i32) (local $end i32) (local $row i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $zeroDone
      (loop $zero
        (br_if $zeroDone (i32.ge_u (local.get $j) (local.get $end)))
        (v128.store (i32.add (local.get $out) (local.get $j)) (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $zero)))
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $row (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $ldx))))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $end)))
            (v128.store (i32.add (local.get $out) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $out) (local.get $j))) (v128.load (i32.add (local.get $row) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $cols)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))
)
