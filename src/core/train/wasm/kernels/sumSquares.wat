;; sum over i < n of x[i]^2, for the global gradient norm. x [n] f32, n a
;; multiple of 4, 16-byte aligned. Four lane sums in f32 (the caller hands it
;; chunks of a few thousand values), added up in f64.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "sumSquares") (param $x i32) (param $n i32) (result f64)
    (local $p i32) (local $end i32) (local $acc v128) (local $v v128)
    (local.set $p (local.get $x))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $v) (local.get $v))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $l)))
    (f64.add
      (f64.add (f64.promote_f32 (f32x4.extract_lane 0 (local.get $acc))) (f64.promote_f32 (f32x4.extract_lane 1 (local.get $acc))))
      (f64.add (f64.promote_f32 (f32x4.extract_lane 2 (local.get $acc))) (f64.promote_f32 (f32x4.extract_lane 3 (local.get $acc))))))
)
