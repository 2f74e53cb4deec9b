;; The embedding table's gradient:
;;   dTable = 0;  dTable[ids[r], :] += dx[r, :] for r = 0, 1, ... rows-1
;; Shapes: dTable [V, Ep], dx [rows, Ep] (contiguous), ids [rows] i32.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "embeddingGradient")
    (param $dTable i32) (param $dx i32) (param $ids i32) (param $rows i32) (param $v i32) (param $ep i32)
    (local $r i32) (local $j i32) (local $bytes i32) (local $dst i32) (local $src i32)
    (local.set $bytes (i32.shl (local.get $ep) (i32.const 2)))
    (memory.fill (local.get $dTable) (i32.const 0) (i32.mul (local.get $v) (local.get $bytes)))
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $dst (i32.add (local.get $dTable)
          (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $r) (i32.const 2)))) (local.get $bytes))))
        (local.set $src (i32.add (local.get $dx) (i32.mul (local.get $r) (local.get $bytes))))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $bytes)))
            (v128.store (i32.add (local.get $dst) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $dst) (local.get $j))) (v128.load (i32.add (local.get $src) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $cols)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))
)
