;; One GRU time step, backward, for `rows` batch rows (gruStepForward.wat's step):
;;   dz_h = dh (1 - u) (1 - hh^2);  dz_u = dh (hPrev - hh) u (1 - u)
;;   dResetH = dz_h Uh^T;           dz_r = dResetH hPrev r (1 - r)
;;   dhPrev += dh u + dResetH r + dz_[u r] Uzr^T   (skipped when dhPrev = 0: the first step; truncated BPTT)
;; z [rows, 3Hp] holds the activated u, r, hh of the step and is overwritten
;; by dz; dh, hPrev and dhPrev rows are stride bytes apart; dResetH [rows, Hp]
;; is contiguous scratch; whT is Uzr^T [2Hp, Hp] packed by packPanels.wat,
;; then Uh^T [Hp, Hp] packed, 2Hp * Hp floats in. dh already holds the
;; gradient from above plus the one from step t+1.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (import "matmulF32" "matmul" (func $matmul (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))

  (func (export "gruStepBackward")
    (param $z i32) (param $zStride i32) (param $dh i32) (param $hPrev i32) (param $stride i32)
    (param $dResetH i32) (param $whT i32) (param $dhPrev i32) (param $rows i32) (param $hp i32)
    (local $r i32) (local $j i32) (local $block i32) (local $pz i32) (local $ps i32) (local $pd i32)
    (local $u v128) (local $hh v128) (local $rg v128) (local $dhv v128) (local $drh v128) (local $one v128)
    (local.set $one (v128.const f32x4 1 1 1 1))
    (local.set $block (i32.shl (local.get $hp) (i32.const 2)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $j (i32.const 0))
        (loop $units
          (local.set $pz (i32.add (i32.add (local.get $z) (i32.mul (local.get $r) (local.get $zStride))) (local.get $j)))
          (local.set $ps (i32.add (i32.mul (local.get $r) (local.get $stride)) (local.get $j)))
          (local.set $u (v128.load (local.get $pz)))
          (local.set $hh (v128.load (i32.add (local.get $pz) (i32.shl (local.get $block) (i32.const 1)))))
          (local.set $dhv (v128.load (i32.add (local.get $dh) (local.get $ps))))
          (v128.store (i32.add (local.get $pz) (i32.shl (local.get $block) (i32.const 1)))
            (f32x4.mul (f32x4.mul (local.get $dhv) (f32x4.sub (local.get $one) (local.get $u)))
                       (f32x4.sub (local.get $one) (f32x4.mul (local.get $hh) (local.get $hh)))))
          (v128.store (local.get $pz)
            (f32x4.mul (f32x4.mul (local.get $dhv) (f32x4.sub (v128.load (i32.add (local.get $hPrev) (local.get $ps))) (local.get $hh)))
                       (f32x4.mul (local.get $u) (f32x4.sub (local.get $one) (local.get $u)))))
          (if (local.get $dhPrev)
            (then
              (v128.store (i32.add (local.get $dhPrev) (local.get $ps))
                (f32x4.add (v128.load (i32.add (local.get $dhPrev) (local.get $ps))) (f32x4.mul (local.get $dhv) (local.get $u))))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $units (i32.lt_u (local.get $j) (local.get $block))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop)))
    (call $matmul (local.get $dResetH) (i32.add (local.get $z) (i32.shl (local.get $block) (i32.const 1)))
      (i32.add (local.get $whT) (i32.mul (i32.shl (local.get $block) (i32.const 1)) (local.get $hp)))
      (local.get $rows) (local.get $hp) (local.get $hp) (local.get $zStride) (local.get $block) (i32.const 0) (i32.const 0))
    (local.set $r (i32.const 0))
    (block $resetDone
      (loop $resetRows
        (br_if $resetDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $j (i32.const 0))
        (loop $resetUnits
          (local.set $pz (i32.add (i32.add (i32.add (local.get $z) (i32.mul (local.get $r) (local.get $zStride))) (local.get $block)) (local.get $j)))
          (local.set $ps (i32.add (i32.mul (local.get $r) (local.get $stride)) (local.get $j)))
          (local.set $pd (i32.add (i32.add (local.get $dResetH) (i32.mul (local.get $r) (local.get $block))) (local.get $j)))
          (local.set $rg (v128.load (local.get $pz)))
          (local.set $drh (v128.load (local.get $pd)))
          (v128.store (local.get $pz)
            (f32x4.mul (f32x4.mul (local.get $drh) (v128.load (i32.add (local.get $hPrev) (local.get $ps))))
                       (f32x4.mul (local.get $rg) (f32x4.sub (local.get $one) (local.get $rg)))))
          (if (local.get $dhPrev)
            (then
              (v128.store (i32.add (local.get $dhPrev) (local.get $ps))
                (f32x4.add (v128.load (i32.add (local.get $dhPrev) (local.get $ps))) (f32x4.mul (local.get $drh) (local.get $rg))))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $resetUnits (i32.lt_u (local.get $j) (local.get $block))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $resetRows)))
    (if (local.get $dhPrev)
      (then
        (call $matmul (local.get $dhPrev) (local.get $z) (local.get $whT) (local.get $rows) (i32.shl (local.get $hp) (i32.const 1))
          (local.get $hp) (local.get $zStride) (local.get $stride) (i32.const 1) (i32.const 0)))))
)
