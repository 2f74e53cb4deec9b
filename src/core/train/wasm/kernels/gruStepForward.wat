;; One GRU time step, forward, for `rows` batch rows (Keras reset_after = false):
;;   z[:, zr] += hPrev Uzr;  u, r = sigmoid(z_u, z_r)    the update and reset gates
;;   resetH = r hPrev
;;   z[:, h] += resetH Uh;   hh = tanh(z_h)             the candidate
;;   h = u hPrev + (1 - u) hh = hh + u (hPrev - hh)
;; z [rows, 3Hp]: in, x W + b of this step, gate blocks in Keras order u, r,
;; h (candidate), each Hp wide; out, the activated u, r, hh (backward reads
;; them). Rows of z are zStride bytes apart, of hPrev prevStride, of h and
;; resetH [rows, Hp] outStride; wh is U [Hp, 3Hp] packed by packPanels.wat,
;; so its strips for the candidate's columns start 2Hp * Hp floats in.
;; Hp is a multiple of 8.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (import "matmulF32" "matmul" (func $matmul (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "activations" "activate" (func $activate (param i32 i32 i32 i32)))

  (func (export "gruStepForward")
    (param $z i32) (param $zStride i32) (param $hPrev i32) (param $prevStride i32)
    (param $h i32) (param $resetH i32) (param $outStride i32) (param $wh i32) (param $rows i32) (param $hp i32)
    (local $r i32) (local $j i32) (local $block i32) (local $pz i32) (local $po i32) (local $pp i32) (local $hh v128)
    (local.set $block (i32.shl (local.get $hp) (i32.const 2)))
    (call $matmul (local.get $z) (local.get $hPrev) (local.get $wh) (local.get $rows) (local.get $hp)
      (i32.shl (local.get $hp) (i32.const 1)) (local.get $prevStride) (local.get $zStride) (i32.const 1) (i32.const 0))
    (block $gatesDone
      (loop $gateRows
        (br_if $gatesDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $pz (i32.add (local.get $z) (i32.mul (local.get $r) (local.get $zStride))))
        (local.set $po (i32.add (local.get $resetH) (i32.mul (local.get $r) (local.get $outStride))))
        (local.set $pp (i32.add (local.get $hPrev) (i32.mul (local.get $r) (local.get $prevStride))))
        (call $activate (local.get $pz) (local.get $pz) (i32.shl (local.get $hp) (i32.const 1)) (i32.const 1))
        (local.set $j (i32.const 0))
        (loop $reset
          (v128.store (i32.add (local.get $po) (local.get $j))
            (f32x4.mul (v128.load (i32.add (i32.add (local.get $pz) (local.get $block)) (local.get $j))) (v128.load (i32.add (local.get $pp) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $reset (i32.lt_u (local.get $j) (local.get $block))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $gateRows)))
    (call $matmul (i32.add (local.get $z) (i32.shl (local.get $block) (i32.const 1))) (local.get $resetH)
      (i32.add (local.get $wh) (i32.mul (i32.shl (local.get $block) (i32.const 1)) (local.get $hp)))
      (local.get $rows) (local.get $hp) (local.get $hp) (local.get $outStride) (local.get $zStride) (i32.const 1) (i32.const 0))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $pz (i32.add (local.get $z) (i32.mul (local.get $r) (local.get $zStride))))
        (local.set $po (i32.add (local.get $h) (i32.mul (local.get $r) (local.get $outStride))))
        (local.set $pp (i32.add (local.get $hPrev) (i32.mul (local.get $r) (local.get $prevStride))))
        (call $activate (i32.add (local.get $pz) (i32.shl (local.get $block) (i32.const 1))) (i32.add (local.get $pz) (i32.shl (local.get $block) (i32.const 1)))
          (local.get $hp) (i32.const 2))
        (local.set $j (i32.const 0))
        (loop $out
          (local.set $hh (v128.load (i32.add (i32.add (local.get $pz) (i32.shl (local.get $block) (i32.const 1))) (local.get $j))))
          (v128.store (i32.add (local.get $po) (local.get $j))
            (f32x4.add (local.get $hh)
              (f32x4.mul (v128.load (i32.add (local.get $pz) (local.get $j)))
                         (f32x4.sub (v128.load (i32.add (local.get $pp) (local.get $j))) (local.get $hh)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $out (i32.lt_u (local.get $j) (local.get $block))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))
)
