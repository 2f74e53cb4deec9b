;; One vanilla RNN time step, forward, for `rows` batch rows:
;;   z += hPrev U;  h = tanh(z)
;; z [rows, Hp] holds x W + b of this step (rows zStride bytes apart); hPrev
;; rows are prevStride bytes apart, h [rows, Hp] rows outStride; wh is
;; U [Hp, Hp] packed by packPanels.wat. Hp is a multiple of 8.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (import "matmulF32" "matmul" (func $matmul (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "activations" "activate" (func $activate (param i32 i32 i32 i32)))

  (func (export "rnnStepForward")
    (param $z i32) (param $zStride i32) (param $hPrev i32) (param $prevStride i32)
    (param $h i32) (param $outStride i32) (param $wh i32) (param $rows i32) (param $hp i32)
    (local $r i32)
    (call $matmul (local.get $z) (local.get $hPrev) (local.get $wh) (local.get $rows) (local.get $hp)
      (local.get $hp) (local.get $prevStride) (local.get $zStride) (i32.const 1) (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (call $activate (i32.add (local.get $h) (i32.mul (local.get $r) (local.get $outStride)))
          (i32.add (local.get $z) (i32.mul (local.get $r) (local.get $zStride))) (local.get $hp) (i32.const 2))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))
)
