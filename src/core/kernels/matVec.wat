;; out[j] += sum_k x[k] * W[k * n + j] for j < n, f32, with 128-bit SIMD.
;; out, x and W are byte offsets into the module's memory, 16-byte aligned;
;; n (the row length) is a multiple of 4. Four rows of W are folded in per
;; pass over out, so out is loaded and stored a quarter as often.
(module
  (memory (export "memory") 1)
  (func (export "addVecMat") (param $out i32) (param $x i32) (param $w i32) (param $m i32) (param $n i32)
    (local $k i32) (local $j i32) (local $row i32) (local $stride i32) (local $m4 i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $acc v128) (local $o i32) (local $r i32)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))
    (local.set $k (i32.const 0))
    (block $done4
      (loop $rows4
        (br_if $done4 (i32.ge_u (local.get $k) (local.get $m4)))
        (local.set $x0 (f32x4.splat (f32.load (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $x1 (f32x4.splat (f32.load offset=4 (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $x2 (f32x4.splat (f32.load offset=8 (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $x3 (f32x4.splat (f32.load offset=12 (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $row (i32.add (local.get $w) (i32.mul (local.get $k) (local.get $stride))))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $o (i32.add (local.get $out) (local.get $j)))
            (local.set $r (i32.add (local.get $row) (local.get $j)))
            (local.set $acc (v128.load (local.get $o)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $x0) (v128.load (local.get $r)))))
            (local.set $r (i32.add (local.get $r) (local.get $stride)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $x1) (v128.load (local.get $r)))))
            (local.set $r (i32.add (local.get $r) (local.get $stride)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $x2) (v128.load (local.get $r)))))
            (local.set $r (i32.add (local.get $r) (local.get $stride)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $x3) (v128.load (local.get $r)))))
            (v128.store (local.get $o) (local.get $acc))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $cols)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $rows4)))
    ;; the last m mod 4 rows, one at a time
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $k) (local.get $m)))
        (local.set $x0 (f32x4.splat (f32.load (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $row (i32.add (local.get $w) (i32.mul (local.get $k) (local.get $stride))))
        (local.set $j (i32.const 0))
        (block $cols_done1
          (loop $cols1
            (br_if $cols_done1 (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $o (i32.add (local.get $out) (local.get $j)))
            (v128.store (local.get $o)
              (f32x4.add (v128.load (local.get $o)) (f32x4.mul (local.get $x0) (v128.load (i32.add (local.get $row) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $cols1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rows))))
;; out[r * n + j] += sum_k X[r * m + k] * W[k * n + j] for rows r < rows and j < n:
;; addVecMat for several rows at once, so that each group of four rows of W is
;; loaded once for all of them (a beam of hypotheses stepping together).
;; out and W are 16-byte aligned byte offsets, n a multiple of 4; X any offset.
  (func (export "addMatMat") (param $out i32) (param $x i32) (param $w i32) (param $rows i32) (param $m i32) (param $n i32)
    (local $k i32) (local $r i32) (local $j i32) (local $stride i32) (local $xstride i32) (local $m4 i32)
    (local $wrow i32) (local $xr i32) (local $orow i32) (local $o i32) (local $p i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $acc v128)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (local.set $xstride (i32.shl (local.get $m) (i32.const 2)))
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))
    (local.set $k (i32.const 0))
    (block $done4
      (loop $rows4
        (br_if $done4 (i32.ge_u (local.get $k) (local.get $m4)))
        (local.set $wrow (i32.add (local.get $w) (i32.mul (local.get $k) (local.get $stride))))
        (local.set $r (i32.const 0))
        (block $batch_done
          (loop $batch
            (br_if $batch_done (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $xr (i32.add (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $xstride))) (i32.shl (local.get $k) (i32.const 2))))
            (local.set $x0 (f32x4.splat (f32.load (local.get $xr))))
            (local.set $x1 (f32x4.splat (f32.load offset=4 (local.get $xr))))
            (local.set $x2 (f32x4.splat (f32.load offset=8 (local.get $xr))))
            (local.set $x3 (f32x4.splat (f32.load offset=12 (local.get $xr))))
            (local.set $orow (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $stride))))
            (local.set $j (i32.const 0))
            (block $cols_done
              (loop $cols
                (br_if $cols_done (i32.ge_u (local.get $j) (local.get $stride)))
                (local.set $o (i32.add (local.get $orow) (local.get $j)))
                (local.set $p (i32.add (local.get $wrow) (local.get $j)))
                (local.set $acc (v128.load (local.get $o)))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $x0) (v128.load (local.get $p)))))
                (local.set $p (i32.add (local.get $p) (local.get $stride)))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $x1) (v128.load (local.get $p)))))
                (local.set $p (i32.add (local.get $p) (local.get $stride)))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $x2) (v128.load (local.get $p)))))
                (local.set $p (i32.add (local.get $p) (local.get $stride)))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $x3) (v128.load (local.get $p)))))
                (v128.store (local.get $o) (local.get $acc))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $cols)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $batch)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $rows4)))
    ;; the last m mod 4 rows of W, one at a time
    (block $done
      (loop $rows1
        (br_if $done (i32.ge_u (local.get $k) (local.get $m)))
        (local.set $wrow (i32.add (local.get $w) (i32.mul (local.get $k) (local.get $stride))))
        (local.set $r (i32.const 0))
        (block $batch1_done
          (loop $batch1
            (br_if $batch1_done (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $x0 (f32x4.splat (f32.load (i32.add (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $xstride))) (i32.shl (local.get $k) (i32.const 2))))))
            (local.set $orow (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $stride))))
            (local.set $j (i32.const 0))
            (block $cols1_done
              (loop $cols1
                (br_if $cols1_done (i32.ge_u (local.get $j) (local.get $stride)))
                (local.set $o (i32.add (local.get $orow) (local.get $j)))
                (v128.store (local.get $o)
                  (f32x4.add (v128.load (local.get $o)) (f32x4.mul (local.get $x0) (v128.load (i32.add (local.get $wrow) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $cols1)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $batch1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rows1))))
;; Dynamic evaluation's step on an adapted layer (core/dynamicEvaluation.ts), rows k < m of n:
;;   W[k, j] += -x[k] * e[j] + min(1, r[k] * c[j]) * (W0[k, j] - W[k, j])
;; a rank-one gradient step plus a decay back to the saved W0. All arguments are
;; byte offsets of 16-byte aligned arrays; n is a multiple of 4.
  (func (export "adaptRows") (param $w i32) (param $w0 i32) (param $x i32) (param $e i32) (param $r i32) (param $c i32) (param $m i32) (param $n i32)
    (local $k i32) (local $j i32) (local $stride i32) (local $row i32) (local $o i32)
    (local $xk v128) (local $rk v128) (local $wv v128) (local $one v128)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $k (i32.const 0))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $k) (local.get $m)))
        (local.set $xk (f32x4.splat (f32.load (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $rk (f32x4.splat (f32.load (i32.add (local.get $r) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $row (i32.mul (local.get $k) (local.get $stride)))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $o (i32.add (local.get $row) (local.get $j)))
            (local.set $wv (v128.load (i32.add (local.get $w) (local.get $o))))
            (v128.store (i32.add (local.get $w) (local.get $o))
              (f32x4.add
                (f32x4.sub (local.get $wv) (f32x4.mul (local.get $xk) (v128.load (i32.add (local.get $e) (local.get $j)))))
                (f32x4.mul
                  (f32x4.min (local.get $one) (f32x4.mul (local.get $rk) (v128.load (i32.add (local.get $c) (local.get $j)))))
                  (f32x4.sub (v128.load (i32.add (local.get $w0) (local.get $o))) (local.get $wv)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $cols)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rows))))
)
