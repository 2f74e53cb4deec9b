;; One vanilla RNN time step, backward, for `rows` batch rows:
;;   dz = dh (1 - h^2)                written over z
;;   dhPrev += dz U^T                 (skipped when dhPrev = 0: the first step; truncated BPTT)
;; z [rows, Hp] rows are zStride bytes apart; dh, h and dhPrev rows stride;
;; whT is U^T [Hp, Hp] packed by packPanels.wat. dh already holds the
;; gradient from above plus the one from step t+1.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (import "matmulF32" "matmul" (func $matmul (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))

  (func (export "rnnStepBackward")
    (param $z i32) (param $zStride i32) (param $dh i32) (param $h i32) (param $stride i32)
    (param $whT i32) (param $dhPrev i32) (param $rows i32) (param $hp i32)
    (local $r i32) (local $j i32) (local $block i32) (local $ps i32) (local $hv v128)
    (local.set $block (i32.shl (local.get $hp) (i32.const 2)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $j (i32.const 0))
        (loop $units
          (local.set $ps (i32.add (i32.mul (local.get $r) (local.get $stride)) (local.get $j)))
          (local.set $hv (v128.load (i32.add (local.get $h) (local.get $ps))))
          (v128.store (i32.add (i32.add (local.get $z) (i32.mul (local.get $r) (local.get $zStride))) (local.get $j))
            (f32x4.mul (v128.load (i32.add (local.get $dh) (local.get $ps)))
                       (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $hv) (local.get $hv)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $units (i32.lt_u (local.get $j) (local.get $block))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop)))
    (if (local.get $dhPrev)
      (then
        (call $matmul (local.get $dhPrev) (local.get $z) (local.get $whT) (local.get $rows) (local.get $hp)
          (local.get $hp) (local.get $zStride) (local.get $stride) (i32.const 1) (i32.const 0)))))
)
