;; Dropout with the counter-based masks of dropoutMask.ts (pcgHash), so the
;; masks equal the tfjs and WebGPU trainers'.
;;   dropoutMask: for batch-major rows row0 <= r < row0 + rows of a [B, T, H]
;;     output, mask[r - row0, j] = pcg(seed + r H + j) >=u threshold ? keep : 0
;;     for j < h, and 0 in the padding h <= j < hp. mask [rows, hp], rows ld floats apart.
;;   applyMask: out[i] = x[i] mask[i], i < n (n a multiple of 4; out may be x).
;; The hash's shift depends on the value, so it runs one lane at a time.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func $pcg (param $x i32) (result i32)
    (local $state i32) (local $word i32)
    (local.set $state (i32.add (i32.mul (local.get $x) (i32.const 747796405)) (i32.const 2891336453)))
    (local.set $word (i32.mul
      (i32.xor (i32.shr_u (local.get $state) (i32.add (i32.shr_u (local.get $state) (i32.const 28)) (i32.const 4))) (local.get $state))
      (i32.const 277803737)))
    (i32.xor (i32.shr_u (local.get $word) (i32.const 22)) (local.get $word)))

  (func (export "dropoutMask")
    (param $mask i32) (param $seed i32) (param $threshold i32) (param $keep f32) (param $row0 i32) (param $rows i32) (param $h i32) (param $hp i32) (param $ld i32)
    (local $r i32) (local $j i32) (local $p i32) (local $base i32)
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $p (i32.add (local.get $mask) (i32.shl (i32.mul (local.get $r) (local.get $ld)) (i32.const 2))))
        (local.set $base (i32.add (local.get $seed) (i32.mul (i32.add (local.get $row0) (local.get $r)) (local.get $h))))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $hp)))
            (f32.store (local.get $p)
              (select (local.get $keep) (f32.const 0)
                (i32.and (i32.lt_u (local.get $j) (local.get $h))
                         (i32.ge_u (call $pcg (i32.add (local.get $base) (local.get $j))) (local.get $threshold)))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $cols)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  (func (export "applyMask") (param $out i32) (param $x i32) (param $mask i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (v128.store (i32.add (local.get $out) (local.get $i))
          (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $mask) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l))))
)
