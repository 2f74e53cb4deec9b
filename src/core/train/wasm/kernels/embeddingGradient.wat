;; The embedding table's gradient, columns j0..j1 of it:
;;   dTable[:, j0:j1] = 0;  dTable[ids[r], j0:j1] += dx[r, j0:j1] for r = 0, 1, ... rows-1
;; Shapes: dTable [V, Ep], dx [rows, Ep] (contiguous), ids [rows] i32; j0, j1
;; multiples of 4. Threads split the columns, so each sum keeps the order r ascending.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "embeddingGradient")
    (param $dTable i32) (param $dx i32) (param $ids i32) (param $rows i32) (param $v i32) (param $ep i32) (param $j0 i32) (param $j1 i32)
    (local $r i32) (local $j i32) (local $bytes i32) (local $dst i32) (local $src i32)
    (local.set $bytes (i32.shl (local.get $ep) (i32.const 2)))
    (block $zeroDone
      (loop $zeroLoop
        (br_if $zeroDone (i32.ge_u (local.get $r) (local.get $v)))
        (local.set $j (local.get $j0))
        (block $cDone
          (loop $cLoop
            (br_if $cDone (i32.ge_u (local.get $j) (local.get $j1)))
            (v128.store (i32.add (i32.add (local.get $dTable) (i32.mul (local.get $r) (local.get $bytes))) (i32.shl (local.get $j) (i32.const 2)))
              (v128.const i32x4 0 0 0 0))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $cLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $zeroLoop)))
    (local.set $r (i32.const 0))
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $dst (i32.add (local.get $dTable)
          (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $r) (i32.const 2)))) (local.get $bytes))))
        (local.set $src (i32.add (local.get $dx) (i32.mul (local.get $r) (local.get $bytes))))
        (local.set $j (i32.shl (local.get $j0) (i32.const 2)))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $j) (i32.shl (local.get $j1) (i32.const 2))))
            (v128.store (i32.add (local.get $dst) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $dst) (local.get $j))) (v128.load (i32.add (local.get $src) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $cols)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))
)
