;; SIMD loops over float32 tensors on the wasm backend's own heap. Every channel count is a
;; multiple of 4, so one v128 holds 4 channels.
;; The memory import line is rewritten for the threaded build, whose heap is shared.
;;
;; Parameter names of the exported functions are the TypeScript names of their arguments
;; (scripts/build-wasm-simd.js generates kernels-signatures.ts from them), and say the unit:
;;   *_ptr    a byte offset into the heap;
;;   *_bytes  a distance in bytes;
;;   accumulate  0 overwrites the output, 1 adds to it;
;;   f32 parameters are values (epsilon, Adam's coefficients);
;;   every other i32 is a count or an index of elements: floats (ldb, ldc: row strides in
;;   floats), rows, tiles, channels (c, ci, co), or convolution geometry in pixels: input h, w,
;;   output ho, wo, filter kh, kw (fh, fw for pooling windows), strides sh, sw, dilations dh,
;;   dw, padding top, left; batch images; [*_begin, *_end) a range of rows or tiles.
(module
  (import "env" "memory" (memory 1))

  ;; y[r, k] = x[r, k] * scale[k] + offset[k]
  (func (export "affine")
    (param $x_ptr i32) (param $scale_ptr i32) (param $offset_ptr i32) (param $y_ptr i32) (param $rows i32) (param $c i32)
    (local $r i32) (local $k i32) (local $cb i32)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $k (i32.const 0))
      (block $rowdone (loop $col
        (br_if $rowdone (i32.ge_u (local.get $k) (local.get $cb)))
        (v128.store (i32.add (local.get $y_ptr) (local.get $k))
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $x_ptr) (local.get $k))) (v128.load (i32.add (local.get $scale_ptr) (local.get $k))))
            (v128.load (i32.add (local.get $offset_ptr) (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $col)))
      (local.set $x_ptr (i32.add (local.get $x_ptr) (local.get $cb)))
      (local.set $y_ptr (i32.add (local.get $y_ptr) (local.get $cb)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; out[r, k] = x_weight[k] * x[r, k] + y_weight[k] * y[r, k] + offset[k]
  (func (export "weighted_pair_sum")
    (param $x_ptr i32) (param $y_ptr i32) (param $x_weight_ptr i32) (param $y_weight_ptr i32) (param $offset_ptr i32) (param $out_ptr i32) (param $rows i32) (param $c i32)
    (local $r i32) (local $k i32) (local $cb i32)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $k (i32.const 0))
      (block $rowdone (loop $col
        (br_if $rowdone (i32.ge_u (local.get $k) (local.get $cb)))
        (v128.store (i32.add (local.get $out_ptr) (local.get $k))
          (f32x4.add
            (f32x4.add
              (f32x4.mul (v128.load (i32.add (local.get $x_ptr) (local.get $k))) (v128.load (i32.add (local.get $x_weight_ptr) (local.get $k))))
              (f32x4.mul (v128.load (i32.add (local.get $y_ptr) (local.get $k))) (v128.load (i32.add (local.get $y_weight_ptr) (local.get $k)))))
            (v128.load (i32.add (local.get $offset_ptr) (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $col)))
      (local.set $x_ptr (i32.add (local.get $x_ptr) (local.get $cb)))
      (local.set $y_ptr (i32.add (local.get $y_ptr) (local.get $cb)))
      (local.set $out_ptr (i32.add (local.get $out_ptr) (local.get $cb)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; Per channel k: s1[k] += Σ_r (x[r,k] − x_centre[k]) and s2[k] += Σ_r (x[r,k] − x_centre[k]) · (y[r,k] − y_centre[k]).
  ;; s1 and s2 are float64; blocks of 32 rows are summed in float32 (acc1, acc2: c floats of
  ;; scratch) and then added to them, which keeps the float32 rounding to 32 terms.
  (func (export "centred_sums")
    (param $x_ptr i32) (param $x_centre_ptr i32) (param $y_ptr i32) (param $y_centre_ptr i32)
    (param $acc1_ptr i32) (param $acc2_ptr i32) (param $s1_ptr i32) (param $s2_ptr i32) (param $rows i32) (param $c i32)
    (local $r i32) (local $end i32) (local $k i32) (local $cb i32) (local $u v128) (local $w v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (block $done (loop $block
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $end (select (local.get $rows) (i32.add (local.get $r) (i32.const 32))
        (i32.lt_u (local.get $rows) (i32.add (local.get $r) (i32.const 32)))))
      (local.set $k (i32.const 0))
      (block $zdone (loop $zero
        (br_if $zdone (i32.ge_u (local.get $k) (local.get $cb)))
        (v128.store (i32.add (local.get $acc1_ptr) (local.get $k)) (v128.const i32x4 0 0 0 0))
        (v128.store (i32.add (local.get $acc2_ptr) (local.get $k)) (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $zero)))
      (block $rdone (loop $row
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $end)))
        (local.set $k (i32.const 0))
        (block $cdone (loop $col
          (br_if $cdone (i32.ge_u (local.get $k) (local.get $cb)))
          (local.set $u (f32x4.sub (v128.load (i32.add (local.get $x_ptr) (local.get $k))) (v128.load (i32.add (local.get $x_centre_ptr) (local.get $k)))))
          (local.set $w (f32x4.sub (v128.load (i32.add (local.get $y_ptr) (local.get $k))) (v128.load (i32.add (local.get $y_centre_ptr) (local.get $k)))))
          (v128.store (i32.add (local.get $acc1_ptr) (local.get $k))
            (f32x4.add (v128.load (i32.add (local.get $acc1_ptr) (local.get $k))) (local.get $u)))
          (v128.store (i32.add (local.get $acc2_ptr) (local.get $k))
            (f32x4.add (v128.load (i32.add (local.get $acc2_ptr) (local.get $k))) (f32x4.mul (local.get $u) (local.get $w))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $col)))
        (local.set $x_ptr (i32.add (local.get $x_ptr) (local.get $cb)))
        (local.set $y_ptr (i32.add (local.get $y_ptr) (local.get $cb)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))
      ;; Flush: float32 lanes 0-1 and 2-3 of each group become two float64 pairs.
      (local.set $k (i32.const 0))
      (block $fdone (loop $flush
        (br_if $fdone (i32.ge_u (local.get $k) (local.get $cb)))
        (local.set $u (v128.load (i32.add (local.get $acc1_ptr) (local.get $k))))
        (local.set $w (v128.load (i32.add (local.get $acc2_ptr) (local.get $k))))
        (call $add_f64 (i32.add (local.get $s1_ptr) (i32.shl (local.get $k) (i32.const 1))) (local.get $u))
        (call $add_f64 (i32.add (local.get $s2_ptr) (i32.shl (local.get $k) (i32.const 1))) (local.get $w))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $flush)))
      (br $block))))

  ;; dst[0..3] (float64) += the four float32 lanes of v.
  (func $add_f64 (param $dst i32) (param $v v128)
    (v128.store (local.get $dst)
      (f64x2.add (v128.load (local.get $dst)) (f64x2.promote_low_f32x4 (local.get $v))))
    (v128.store (i32.add (local.get $dst) (i32.const 16))
      (f64x2.add (v128.load (i32.add (local.get $dst) (i32.const 16)))
        (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))

  ;; Depthwise filter gradient, depth multiplier 1, NHWC:
  ;; dfilter[i, j, k] += Σ_{b, p, q} x[b, p·sh + i·dh − top, q·sw + j·dw − left, k] · dy[b, p, q, k]
  ;; over the taps that land inside the image. dfilter must be zeroed by the caller.
  (func (export "depthwise_filter_grad")
    (param $x_ptr i32) (param $dy_ptr i32) (param $dfilter_ptr i32)
    (param $batch i32) (param $h i32) (param $w i32) (param $c i32) (param $ho i32) (param $wo i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $dh i32) (param $dw i32)
    (param $top i32) (param $left i32)
    (local $b i32) (local $p i32) (local $q i32) (local $i i32) (local $j i32) (local $hi i32) (local $wi i32)
    (local $k i32) (local $cb i32) (local $dyrow i32) (local $xrow i32) (local $arow i32) (local $g v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $dyrow (local.get $dy_ptr))
    (block $bdone (loop $bl
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $p (i32.const 0))
      (block $pdone (loop $pl
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $ho)))
        (local.set $q (i32.const 0))
        (block $qdone (loop $ql
          (br_if $qdone (i32.ge_u (local.get $q) (local.get $wo)))
          (local.set $i (i32.const 0))
          (block $idone (loop $il
            (br_if $idone (i32.ge_u (local.get $i) (local.get $kh)))
            (local.set $hi (i32.sub (i32.add (i32.mul (local.get $p) (local.get $sh)) (i32.mul (local.get $i) (local.get $dh))) (local.get $top)))
            (if (i32.and (i32.ge_s (local.get $hi) (i32.const 0)) (i32.lt_s (local.get $hi) (local.get $h)))
              (then
                (local.set $j (i32.const 0))
                (block $jdone (loop $jl
                  (br_if $jdone (i32.ge_u (local.get $j) (local.get $kw)))
                  (local.set $wi (i32.sub (i32.add (i32.mul (local.get $q) (local.get $sw)) (i32.mul (local.get $j) (local.get $dw))) (local.get $left)))
                  (if (i32.and (i32.ge_s (local.get $wi) (i32.const 0)) (i32.lt_s (local.get $wi) (local.get $w)))
                    (then
                      (local.set $xrow (i32.add (local.get $x_ptr)
                        (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $hi)) (local.get $w)) (local.get $wi)) (local.get $cb))))
                      (local.set $arow (i32.add (local.get $dfilter_ptr)
                        (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $cb))))
                      (local.set $k (i32.const 0))
                      (block $kdone (loop $kl
                        (br_if $kdone (i32.ge_u (local.get $k) (local.get $cb)))
                        (local.set $g (v128.load (i32.add (local.get $dyrow) (local.get $k))))
                        (v128.store (i32.add (local.get $arow) (local.get $k))
                          (f32x4.add (v128.load (i32.add (local.get $arow) (local.get $k)))
                            (f32x4.mul (v128.load (i32.add (local.get $xrow) (local.get $k))) (local.get $g))))
                        (local.set $k (i32.add (local.get $k) (i32.const 16)))
                        (br $kl)))))
                  (local.set $j (i32.add (local.get $j) (i32.const 1)))
                  (br $jl)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $il)))
          (local.set $dyrow (i32.add (local.get $dyrow) (local.get $cb)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $ql)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))
  ;; dst[j, i] = src[i, j] for a [rows, cols] matrix, rows and cols multiples of 4, by 4×4 blocks.
  (func (export "transpose")
    (param $src_ptr i32) (param $dst_ptr i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $j i32) (local $rb i32) (local $cb i32) (local $s i32) (local $d i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rb (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $cb (i32.shl (local.get $cols) (i32.const 2)))
    (block $idone (loop $il
      (br_if $idone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $jdone (loop $jl
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $cols)))
        ;; Four rows of four: src[i + r, j .. j + 3].
        (local.set $s (i32.add (local.get $src_ptr)
          (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2))))
        (local.set $a0 (v128.load (local.get $s)))
        (local.set $a1 (v128.load (i32.add (local.get $s) (local.get $cb))))
        (local.set $a2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $cb) (i32.const 1)))))
        (local.set $a3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $cb) (i32.const 3)))))
        (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1)))
        (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1)))
        (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3)))
        (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3)))
        ;; Four columns of four: dst[j + c, i .. i + 3].
        (local.set $d (i32.add (local.get $dst_ptr)
          (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2))))
        (v128.store (local.get $d)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $d) (local.get $rb))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $d) (i32.shl (local.get $rb) (i32.const 1)))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
        (v128.store (i32.add (local.get $d) (i32.mul (local.get $rb) (i32.const 3)))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $il))))
  ;; The transposed patch matrix of a convolution's filter gradient: for every tap (a, b) and
  ;; input channel c, one row of batch·ho·wo values x[c, img, p·sh + a − top, q·sw + b − left]
  ;; (zero outside the image), read from a channel-major copy of x, [ci, batch, h, w].
  (func (export "gather_patches")
    (param $src_ptr i32) (param $dst_ptr i32) (param $ci i32) (param $batch i32) (param $h i32) (param $w i32)
    (param $ho i32) (param $wo i32) (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32)
    (param $top i32) (param $left i32)
    (local $a i32) (local $b i32) (local $c i32) (local $img i32) (local $p i32) (local $q i32)
    (local $hi i32) (local $w0 i32) (local $q0 i32) (local $q1 i32) (local $wi i32)
    (local $line i32) (local $o i32) (local $plane i32) (local $wob i32)
    (local.set $wob (i32.shl (local.get $wo) (i32.const 2)))
    (local.set $o (local.get $dst_ptr))
    (block $adone (loop $al
      (br_if $adone (i32.ge_u (local.get $a) (local.get $kh)))
      (local.set $b (i32.const 0))
      (block $bdone (loop $bl
        (br_if $bdone (i32.ge_u (local.get $b) (local.get $kw)))
        (local.set $w0 (i32.sub (local.get $b) (local.get $left)))
        ;; Output columns whose input column q·sw + w0 lies inside [0, w).
        (local.set $q0 (i32.const 0))
        (if (i32.lt_s (local.get $w0) (i32.const 0))
          (then (local.set $q0 (i32.div_s (i32.sub (i32.add (i32.sub (i32.const 0) (local.get $w0)) (local.get $sw)) (i32.const 1)) (local.get $sw)))))
        (local.set $q1 (i32.const 0))
        (if (i32.gt_s (i32.sub (local.get $w) (local.get $w0)) (i32.const 0))
          (then (local.set $q1 (i32.div_s (i32.sub (i32.add (i32.sub (local.get $w) (local.get $w0)) (local.get $sw)) (i32.const 1)) (local.get $sw)))))
        (if (i32.gt_s (local.get $q1) (local.get $wo)) (then (local.set $q1 (local.get $wo))))
        (if (i32.gt_s (local.get $q0) (local.get $q1)) (then (local.set $q0 (local.get $q1))))
        (local.set $c (i32.const 0))
        (block $cdone (loop $cl
          (br_if $cdone (i32.ge_u (local.get $c) (local.get $ci)))
          (local.set $img (i32.const 0))
          (block $idone (loop $il
            (br_if $idone (i32.ge_u (local.get $img) (local.get $batch)))
            (local.set $plane (i32.add (local.get $src_ptr)
              (i32.shl (i32.mul (i32.add (i32.mul (local.get $c) (local.get $batch)) (local.get $img)) (i32.mul (local.get $h) (local.get $w))) (i32.const 2))))
            (local.set $p (i32.const 0))
            (block $pdone (loop $pl
              (br_if $pdone (i32.ge_u (local.get $p) (local.get $ho)))
              (local.set $hi (i32.sub (i32.add (i32.mul (local.get $p) (local.get $sh)) (local.get $a)) (local.get $top)))
              (if (i32.or (i32.lt_s (local.get $hi) (i32.const 0)) (i32.ge_s (local.get $hi) (local.get $h)))
                (then (memory.fill (local.get $o) (i32.const 0) (local.get $wob)))
                (else
                  (local.set $line (i32.add (local.get $plane) (i32.shl (i32.mul (local.get $hi) (local.get $w)) (i32.const 2))))
                  (memory.fill (local.get $o) (i32.const 0) (i32.shl (local.get $q0) (i32.const 2)))
                  (memory.fill (i32.add (local.get $o) (i32.shl (local.get $q1) (i32.const 2))) (i32.const 0)
                    (i32.shl (i32.sub (local.get $wo) (local.get $q1)) (i32.const 2)))
                  (if (i32.eq (local.get $sw) (i32.const 1))
                    (then
                      (memory.copy
                        (i32.add (local.get $o) (i32.shl (local.get $q0) (i32.const 2)))
                        (i32.add (local.get $line) (i32.shl (i32.add (local.get $q0) (local.get $w0)) (i32.const 2)))
                        (i32.shl (i32.sub (local.get $q1) (local.get $q0)) (i32.const 2))))
                    (else
                      (local.set $q (local.get $q0))
                      (block $qdone (loop $ql
                        (br_if $qdone (i32.ge_s (local.get $q) (local.get $q1)))
                        (local.set $wi (i32.add (i32.mul (local.get $q) (local.get $sw)) (local.get $w0)))
                        (f32.store (i32.add (local.get $o) (i32.shl (local.get $q) (i32.const 2)))
                          (f32.load (i32.add (local.get $line) (i32.shl (local.get $wi) (i32.const 2)))))
                        (local.set $q (i32.add (local.get $q) (i32.const 1)))
                        (br $ql)))))))
              (local.set $o (i32.add (local.get $o) (local.get $wob)))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $pl)))
            (local.set $img (i32.add (local.get $img) (i32.const 1)))
            (br $il)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $cl)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bl)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $al))))
  ;; One Adam step over count values (a multiple of 4), in tfjs's order of float32 operations:
  ;; m' = m·b1 + g·c1, v' = v·b2 + g²·c2, w' = (m'/d1) / (√(v'/d2) + epsilon) · neg_lr + w (neg_lr: the learning rate, negated).
  (func (export "adam")
    (param $w_ptr i32) (param $m_ptr i32) (param $v_ptr i32) (param $g_ptr i32) (param $w_out_ptr i32) (param $m_out_ptr i32) (param $v_out_ptr i32) (param $count i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $d1 f32) (param $d2 f32) (param $epsilon f32) (param $neg_lr f32)
    (local $i i32) (local $end i32) (local $gv v128) (local $mv v128) (local $vv v128)
    (local $B1 v128) (local $C1 v128) (local $B2 v128) (local $C2 v128) (local $D1 v128) (local $D2 v128) (local $E v128) (local $L v128)
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $C1 (f32x4.splat (local.get $c1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $C2 (f32x4.splat (local.get $c2)))
    (local.set $D1 (f32x4.splat (local.get $d1)))
    (local.set $D2 (f32x4.splat (local.get $d2)))
    (local.set $E (f32x4.splat (local.get $epsilon)))
    (local.set $L (f32x4.splat (local.get $neg_lr)))
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $gv (v128.load (i32.add (local.get $g_ptr) (local.get $i))))
      (local.set $mv (f32x4.add
        (f32x4.mul (v128.load (i32.add (local.get $m_ptr) (local.get $i))) (local.get $B1))
        (f32x4.mul (local.get $gv) (local.get $C1))))
      (local.set $vv (f32x4.add
        (f32x4.mul (v128.load (i32.add (local.get $v_ptr) (local.get $i))) (local.get $B2))
        (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $C2))))
      (v128.store (i32.add (local.get $m_out_ptr) (local.get $i)) (local.get $mv))
      (v128.store (i32.add (local.get $v_out_ptr) (local.get $i)) (local.get $vv))
      (v128.store (i32.add (local.get $w_out_ptr) (local.get $i))
        (f32x4.add
          (f32x4.mul
            (f32x4.div
              (f32x4.div (local.get $mv) (local.get $D1))
              (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (local.get $D2))) (local.get $E)))
            (local.get $L))
          (v128.load (i32.add (local.get $w_ptr) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $l))))
  ;; First tap index i in [0, k) whose input row o + i·d lies inside [0, size), and one past the last.
  (func $tap_range (param $o i32) (param $d i32) (param $k i32) (param $size i32) (result i32 i32)
    (local $lo i32) (local $hi i32)
    (if (i32.lt_s (local.get $o) (i32.const 0))
      (then (local.set $lo (i32.div_s (i32.add (i32.sub (i32.const 0) (local.get $o)) (i32.sub (local.get $d) (i32.const 1))) (local.get $d)))))
    (if (i32.gt_s (i32.sub (local.get $size) (local.get $o)) (i32.const 0))
      (then (local.set $hi (i32.add (i32.div_s (i32.sub (i32.sub (local.get $size) (i32.const 1)) (local.get $o)) (local.get $d)) (i32.const 1)))))
    (if (i32.gt_s (local.get $hi) (local.get $k)) (then (local.set $hi (local.get $k))))
    (if (i32.gt_s (local.get $lo) (local.get $hi)) (then (local.set $lo (local.get $hi))))
    (local.get $lo) (local.get $hi))

  ;; Depthwise convolution, depth multiplier 1, NHWC, channels a multiple of 16:
  ;; out[b, p, q, k] = Σ_{i, j} x[b, p·sh + i·dh − top, q·sw + j·dw − left, k] · f[i, j, k] over the
  ;; taps inside the image. Sixteen channels at a time, their sums in four registers.
  (func (export "depthwise_conv")
    (param $x_ptr i32) (param $filter_ptr i32) (param $out_ptr i32)
    (param $batch i32) (param $h i32) (param $w i32) (param $c i32) (param $ho i32) (param $wo i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $dh i32) (param $dw i32)
    (param $top i32) (param $left i32)
    (local $b i32) (local $p i32) (local $q i32) (local $i i32) (local $j i32) (local $k i32)
    (local $i0 i32) (local $i1 i32) (local $j0 i32) (local $j1 i32) (local $r0 i32) (local $c0 i32)
    (local $cb i32) (local $img i32) (local $xo i32) (local $fo i32) (local $xstep i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $xstep (i32.mul (local.get $dw) (local.get $cb)))
    (block $bdone (loop $bl
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $img (i32.add (local.get $x_ptr) (i32.mul (i32.mul (i32.mul (local.get $b) (local.get $h)) (local.get $w)) (local.get $cb))))
      (local.set $p (i32.const 0))
      (block $pdone (loop $pl
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $ho)))
        (local.set $r0 (i32.sub (i32.mul (local.get $p) (local.get $sh)) (local.get $top)))
        (call $tap_range (local.get $r0) (local.get $dh) (local.get $kh) (local.get $h))
        (local.set $i1) (local.set $i0)
        (local.set $q (i32.const 0))
        (block $qdone (loop $ql
          (br_if $qdone (i32.ge_u (local.get $q) (local.get $wo)))
          (local.set $c0 (i32.sub (i32.mul (local.get $q) (local.get $sw)) (local.get $left)))
          (call $tap_range (local.get $c0) (local.get $dw) (local.get $kw) (local.get $w))
          (local.set $j1) (local.set $j0)
          (local.set $k (i32.const 0))
          (block $kdone (loop $kl
            (br_if $kdone (i32.ge_u (local.get $k) (local.get $cb)))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0))
            (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $i (local.get $i0))
            (block $idone (loop $il
              (br_if $idone (i32.ge_s (local.get $i) (local.get $i1)))
              (local.set $xo (i32.add (i32.add (local.get $img)
                (i32.mul
                  (i32.add
                    (i32.mul (i32.add (local.get $r0) (i32.mul (local.get $i) (local.get $dh))) (local.get $w))
                    (i32.add (local.get $c0) (i32.mul (local.get $j0) (local.get $dw))))
                  (local.get $cb)))
                (local.get $k)))
              (local.set $fo (i32.add (i32.add (local.get $filter_ptr)
                (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j0)) (local.get $cb)))
                (local.get $k)))
              (local.set $j (local.get $j0))
              (block $jdone (loop $jl
                (br_if $jdone (i32.ge_s (local.get $j) (local.get $j1)))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $xo)) (v128.load (local.get $fo)))))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $xo)) (v128.load offset=16 (local.get $fo)))))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $xo)) (v128.load offset=32 (local.get $fo)))))
                (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $xo)) (v128.load offset=48 (local.get $fo)))))
                (local.set $xo (i32.add (local.get $xo) (local.get $xstep)))
                (local.set $fo (i32.add (local.get $fo) (local.get $cb)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jl)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $il)))
            (v128.store (i32.add (local.get $out_ptr) (local.get $k)) (local.get $a0))
            (v128.store offset=16 (i32.add (local.get $out_ptr) (local.get $k)) (local.get $a1))
            (v128.store offset=32 (i32.add (local.get $out_ptr) (local.get $k)) (local.get $a2))
            (v128.store offset=48 (i32.add (local.get $out_ptr) (local.get $k)) (local.get $a3))
            (local.set $k (i32.add (local.get $k) (i32.const 64)))
            (br $kl)))
          (local.set $out_ptr (i32.add (local.get $out_ptr) (local.get $cb)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $ql)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))
  ;; erf over count values (a multiple of 4): x·P(x²)/Q(x²) with x clamped to [−4, 4], where erf is ±1
  ;; in float32. Coefficients from scripts/fit_erf.py; worst error 5e-7.
  (func (export "erf") (param $x_ptr i32) (param $out_ptr i32) (param $count i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $out_ptr) (local.get $i)) (call $erf4 (v128.load (i32.add (local.get $x_ptr) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $l))))

  ;; erf of 4 lanes, as described above "erf".
  (func $erf4 (param $x v128) (result v128)
    (local $v v128) (local $t v128)
    (local.set $v (f32x4.min (f32x4.max (local.get $x) (f32x4.splat (f32.const -4))) (f32x4.splat (f32.const 4))))
    (local.set $t (f32x4.mul (local.get $v) (local.get $v)))
    (f32x4.div
      (f32x4.mul (local.get $v) (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.splat (f32.const 1.966648355e-08)) (local.get $t)) (f32x4.splat (f32.const -1.976510703e-06))) (local.get $t)) (f32x4.splat (f32.const 1.480445499e-04))) (local.get $t)) (f32x4.splat (f32.const 3.958968446e-03))) (local.get $t)) (f32x4.splat (f32.const 5.136610940e-02))) (local.get $t)) (f32x4.splat (f32.const 2.059627771e-01))) (local.get $t)) (f32x4.splat (f32.const 1.128378868e+00))))
      (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.splat (f32.const 1.018785406e-03)) (local.get $t)) (f32x4.splat (f32.const 1.486765128e-02))) (local.get $t)) (f32x4.splat (f32.const 1.174909100e-01))) (local.get $t)) (f32x4.splat (f32.const 5.158590078e-01))) (local.get $t)) (f32x4.splat (f32.const 1.000000000e+00)))))

  ;; Φ(x) = (1 + erf(x/√2))/2 of 4 lanes, the standard normal's distribution function.
  (func $normal_cdf4 (param $x v128) (result v128)
    (f32x4.mul (f32x4.splat (f32.const 0.5))
      (f32x4.add (f32x4.splat (f32.const 1)) (call $erf4 (f32x4.mul (local.get $x) (f32x4.splat (f32.const 0.70710678)))))))

  ;; out = x·Φ(x), the exact GELU, over count values (a multiple of 4).
  (func (export "gelu") (param $x_ptr i32) (param $out_ptr i32) (param $count i32)
    (local $i i32) (local $end i32) (local $x v128)
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $x (v128.load (i32.add (local.get $x_ptr) (local.get $i))))
      (v128.store (i32.add (local.get $out_ptr) (local.get $i)) (f32x4.mul (local.get $x) (call $normal_cdf4 (local.get $x))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $l))))

  ;; dx = dy·(Φ(x) + x·φ(x)), the GELU's gradient, over count values (a multiple of 4); φ(x) =
  ;; e^(−x²/2)/√(2π).
  (func (export "gelu_grad") (param $x_ptr i32) (param $dy_ptr i32) (param $dx_ptr i32) (param $count i32)
    (local $i i32) (local $end i32) (local $x v128) (local $pdf v128)
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $x (v128.load (i32.add (local.get $x_ptr) (local.get $i))))
      (local.set $pdf (f32x4.mul (f32x4.splat (f32.const 0.39894228))
        (call $exp4 (f32x4.mul (f32x4.splat (f32.const -0.5)) (f32x4.mul (local.get $x) (local.get $x))))))
      (v128.store (i32.add (local.get $dx_ptr) (local.get $i))
        (f32x4.mul (v128.load (i32.add (local.get $dy_ptr) (local.get $i)))
          (f32x4.add (call $normal_cdf4 (local.get $x)) (f32x4.mul (local.get $x) (local.get $pdf)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $l))))

  ;; σ(x) = 1/(1 + e^(−x)) of 4 lanes.
  (func $sigmoid4 (param $x v128) (result v128)
    (f32x4.div (f32x4.splat (f32.const 1))
      (f32x4.add (f32x4.splat (f32.const 1)) (call $exp4 (f32x4.neg (local.get $x))))))

  ;; out = x·σ(x), SiLU (swish), over count values (a multiple of 4).
  (func (export "silu") (param $x_ptr i32) (param $out_ptr i32) (param $count i32)
    (local $i i32) (local $end i32) (local $x v128)
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $x (v128.load (i32.add (local.get $x_ptr) (local.get $i))))
      (v128.store (i32.add (local.get $out_ptr) (local.get $i)) (f32x4.mul (local.get $x) (call $sigmoid4 (local.get $x))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $l))))

  ;; dx = dy·σ(x)·(1 + x·(1 − σ(x))), SiLU's gradient, over count values (a multiple of 4).
  (func (export "silu_grad") (param $x_ptr i32) (param $dy_ptr i32) (param $dx_ptr i32) (param $count i32)
    (local $i i32) (local $end i32) (local $x v128) (local $s v128)
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $x (v128.load (i32.add (local.get $x_ptr) (local.get $i))))
      (local.set $s (call $sigmoid4 (local.get $x)))
      (v128.store (i32.add (local.get $dx_ptr) (local.get $i))
        (f32x4.mul (f32x4.mul (v128.load (i32.add (local.get $dy_ptr) (local.get $i))) (local.get $s))
          (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $x) (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $s))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $l))))

  ;; exp over count values (a multiple of 4): 2^k · e^r with k = round(x·log₂e) and |r| ≤ ln2/2, e^r by
  ;; its Taylor series to r⁶ (relative error below 2e-7), 2^k built in the exponent bits. x is
  ;; clamped to [−87, 88], the float32 range of normal results.
  (func (export "exp") (param $x_ptr i32) (param $out_ptr i32) (param $count i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $out_ptr) (local.get $i)) (call $exp4 (v128.load (i32.add (local.get $x_ptr) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $l))))

  ;; exp of 4 lanes, as described above "exp" (ln2 split in two parts, so r keeps its bits).
  (func $exp4 (param $x v128) (result v128)
    (local $v v128) (local $k v128) (local $r v128)
    (local.set $v (f32x4.min (f32x4.max (local.get $x) (f32x4.splat (f32.const -87))) (f32x4.splat (f32.const 88))))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $v) (f32x4.splat (f32.const 1.442695041)))))
    (local.set $r (f32x4.sub
      (f32x4.sub (local.get $v) (f32x4.mul (local.get $k) (f32x4.splat (f32.const 0.693359375))))
      (f32x4.mul (local.get $k) (f32x4.splat (f32.const -2.12194440e-4)))))
    (f32x4.mul
      (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (f32x4.splat (f32.const 0.0013888889)) (local.get $r)) (f32x4.splat (f32.const 0.008333334))) (local.get $r)) (f32x4.splat (f32.const 0.041666668))) (local.get $r)) (f32x4.splat (f32.const 0.16666667))) (local.get $r)) (f32x4.splat (f32.const 0.5))) (local.get $r)) (f32x4.splat (f32.const 1.0))) (local.get $r)) (f32x4.splat (f32.const 1.0)))
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (i32x4.splat (i32.const 127))) (i32.const 23))))
  ;; The four lanes of v added up.
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; Layer norm of each row of [rows, c]: y = (x − mean)·rstd·γ + β, with the row's mean and
  ;; rstd = 1/√(var + eps) written out for the gradient.
  (func (export "ln_forward")
    (param $x_ptr i32) (param $gamma_ptr i32) (param $beta_ptr i32) (param $y_ptr i32) (param $mean_ptr i32) (param $rstd_ptr i32)
    (param $rows i32) (param $c i32) (param $epsilon f32)
    (local $r i32) (local $k i32) (local $cb i32) (local $acc v128) (local $d v128) (local $mv v128) (local $rv v128)
    (local $m f32) (local $inv f32)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $k (i32.const 0))
      (block $s1 (loop $l1
        (br_if $s1 (i32.ge_u (local.get $k) (local.get $cb)))
        (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $x_ptr) (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $l1)))
      (local.set $m (f32.div (call $hsum (local.get $acc)) (f32.convert_i32_u (local.get $c))))
      (local.set $mv (f32x4.splat (local.get $m)))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $k (i32.const 0))
      (block $s2 (loop $l2
        (br_if $s2 (i32.ge_u (local.get $k) (local.get $cb)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $x_ptr) (local.get $k))) (local.get $mv)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $l2)))
      (local.set $inv (f32.div (f32.const 1)
        (f32.sqrt (f32.add (f32.div (call $hsum (local.get $acc)) (f32.convert_i32_u (local.get $c))) (local.get $epsilon)))))
      (f32.store (i32.add (local.get $mean_ptr) (i32.shl (local.get $r) (i32.const 2))) (local.get $m))
      (f32.store (i32.add (local.get $rstd_ptr) (i32.shl (local.get $r) (i32.const 2))) (local.get $inv))
      (local.set $rv (f32x4.splat (local.get $inv)))
      (local.set $k (i32.const 0))
      (block $s3 (loop $l3
        (br_if $s3 (i32.ge_u (local.get $k) (local.get $cb)))
        (v128.store (i32.add (local.get $y_ptr) (local.get $k))
          (f32x4.add
            (f32x4.mul
              (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x_ptr) (local.get $k))) (local.get $mv)) (local.get $rv))
              (v128.load (i32.add (local.get $gamma_ptr) (local.get $k))))
            (v128.load (i32.add (local.get $beta_ptr) (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $l3)))
      (local.set $x_ptr (i32.add (local.get $x_ptr) (local.get $cb)))
      (local.set $y_ptr (i32.add (local.get $y_ptr) (local.get $cb)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; out = (x − mean[r]) · rstd[r] for each row r.
  (func (export "ln_normalise")
    (param $x_ptr i32) (param $mean_ptr i32) (param $rstd_ptr i32) (param $out_ptr i32) (param $rows i32) (param $c i32)
    (local $r i32) (local $k i32) (local $cb i32) (local $mv v128) (local $rv v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $mv (v128.load32_splat (i32.add (local.get $mean_ptr) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $rv (v128.load32_splat (i32.add (local.get $rstd_ptr) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $k (i32.const 0))
      (block $cdone (loop $col
        (br_if $cdone (i32.ge_u (local.get $k) (local.get $cb)))
        (v128.store (i32.add (local.get $out_ptr) (local.get $k))
          (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x_ptr) (local.get $k))) (local.get $mv)) (local.get $rv)))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $col)))
      (local.set $x_ptr (i32.add (local.get $x_ptr) (local.get $cb)))
      (local.set $out_ptr (i32.add (local.get $out_ptr) (local.get $cb)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; Layer-norm input gradient, in place over x̂: with g = dy·γ per row,
  ;; dx = rstd · (g − mean(g) − x̂ · mean(g·x̂)).
  (func (export "ln_input_grad")
    (param $dy_ptr i32) (param $gamma_ptr i32) (param $xhat_ptr i32) (param $rstd_ptr i32) (param $rows i32) (param $c i32)
    (local $r i32) (local $k i32) (local $cb i32) (local $a1 v128) (local $a2 v128) (local $gv v128)
    (local $m1 v128) (local $m2 v128) (local $rv v128) (local $cf f32)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $cf (f32.convert_i32_u (local.get $c)))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $a1 (v128.const i32x4 0 0 0 0))
      (local.set $a2 (v128.const i32x4 0 0 0 0))
      (local.set $k (i32.const 0))
      (block $s1 (loop $l1
        (br_if $s1 (i32.ge_u (local.get $k) (local.get $cb)))
        (local.set $gv (f32x4.mul (v128.load (i32.add (local.get $dy_ptr) (local.get $k))) (v128.load (i32.add (local.get $gamma_ptr) (local.get $k)))))
        (local.set $a1 (f32x4.add (local.get $a1) (local.get $gv)))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $gv) (v128.load (i32.add (local.get $xhat_ptr) (local.get $k))))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $l1)))
      (local.set $m1 (f32x4.splat (f32.div (call $hsum (local.get $a1)) (local.get $cf))))
      (local.set $m2 (f32x4.splat (f32.div (call $hsum (local.get $a2)) (local.get $cf))))
      (local.set $rv (v128.load32_splat (i32.add (local.get $rstd_ptr) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $k (i32.const 0))
      (block $s2 (loop $l2
        (br_if $s2 (i32.ge_u (local.get $k) (local.get $cb)))
        (v128.store (i32.add (local.get $xhat_ptr) (local.get $k))
          (f32x4.mul (local.get $rv)
            (f32x4.sub
              (f32x4.sub
                (f32x4.mul (v128.load (i32.add (local.get $dy_ptr) (local.get $k))) (v128.load (i32.add (local.get $gamma_ptr) (local.get $k))))
                (local.get $m1))
              (f32x4.mul (v128.load (i32.add (local.get $xhat_ptr) (local.get $k))) (local.get $m2)))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $l2)))
      (local.set $dy_ptr (i32.add (local.get $dy_ptr) (local.get $cb)))
      (local.set $xhat_ptr (i32.add (local.get $xhat_ptr) (local.get $cb)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; ---- Dense matrix products (convolutions and matmuls) ----
  ;; B is packed by pack_b into blocks of 256 rows (the last one shorter); each block holds the
  ;; n columns as consecutive panels of 8, each panel [rows][8]. A block of B then streams from
  ;; cache while 4 rows of A meet one panel: 8 multiply-adds per element of A that is loaded.
  ;; f32x4.relaxed_madd is a fused multiply-add where the engine has one; the build also writes
  ;; a variant of this module with a separate multiply and add for engines without relaxed SIMD.

  ;; Copies B [k, n] (rows ldb floats apart, n a multiple of 8) into the packed layout at packed_ptr.
  (func (export "pack_b") (param $b_ptr i32) (param $ldb i32) (param $packed_ptr i32) (param $k i32) (param $n i32)
    (local $p0 i32) (local $kc i32) (local $j i32) (local $p i32) (local $src i32) (local $ldbb i32)
    (local.set $ldbb (i32.shl (local.get $ldb) (i32.const 2)))
    (block $done (loop $blocks
      (br_if $done (i32.ge_u (local.get $p0) (local.get $k)))
      (local.set $kc (i32.sub (local.get $k) (local.get $p0)))
      (if (i32.gt_u (local.get $kc) (i32.const 256)) (then (local.set $kc (i32.const 256))))
      (local.set $j (i32.const 0))
      (block $jdone (loop $panels
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $src (i32.add (local.get $b_ptr)
          (i32.add (i32.mul (local.get $p0) (local.get $ldbb)) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $p (local.get $kc))
        (loop $rows
          (v128.store (local.get $packed_ptr) (v128.load (local.get $src)))
          (v128.store offset=16 (local.get $packed_ptr) (v128.load offset=16 (local.get $src)))
          (local.set $packed_ptr (i32.add (local.get $packed_ptr) (i32.const 32)))
          (local.set $src (i32.add (local.get $src) (local.get $ldbb)))
          (local.set $p (i32.sub (local.get $p) (i32.const 1)))
          (br_if $rows (local.get $p)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $panels)))
      (local.set $p0 (i32.add (local.get $p0) (local.get $kc)))
      (br $blocks))))

  ;; Copies rows [0, m) × steps [0, kc) of A (element (i, p) at a + i·ars + p·aps) into quads:
  ;; quad q holds, step by step, the 4 values A(4q..4q+3, p) side by side; rows past m are zeros.
  (func $pack_a (param $a i32) (param $ars i32) (param $aps i32) (param $dst i32) (param $m i32) (param $kc i32)
    (local $q i32) (local $p i32) (local $r i32) (local $row i32) (local $src i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (block $done (loop $quads
      (br_if $done (i32.ge_s (local.get $q) (local.get $m)))
      (local.set $src (i32.add (local.get $a) (i32.mul (local.get $q) (local.get $ars))))
      (if (i32.and (i32.le_s (i32.add (local.get $q) (i32.const 4)) (local.get $m)) (i32.eq (local.get $ars) (i32.const 4)))
        (then
          ;; The quad's 4 values are adjacent in memory: one vector a step.
          (local.set $p (local.get $kc))
          (loop $steps
            (v128.store (local.get $dst) (v128.load (local.get $src)))
            (local.set $src (i32.add (local.get $src) (local.get $aps)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br_if $steps (local.get $p))))
        (else (if (i32.and (i32.and (i32.le_s (i32.add (local.get $q) (i32.const 4)) (local.get $m)) (i32.eq (local.get $aps) (i32.const 4)))
                           (i32.eqz (i32.and (local.get $kc) (i32.const 3))))
          (then
            ;; Rows are contiguous: 4 steps of 4 rows at a time, transposed in registers.
            (local.set $p (i32.shr_u (local.get $kc) (i32.const 2)))
            (loop $steps4
              (local.set $r0 (v128.load (local.get $src)))
              (local.set $r1 (v128.load (i32.add (local.get $src) (local.get $ars))))
              (local.set $r2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $ars) (i32.const 1)))))
              (local.set $r3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $ars) (i32.const 3)))))
              (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
              (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
              (local.set $t2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
              (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
              (v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
              (v128.store offset=16 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
              (v128.store offset=32 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t2) (local.get $t3)))
              (v128.store offset=48 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t2) (local.get $t3)))
              (local.set $src (i32.add (local.get $src) (i32.const 16)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
              (local.set $p (i32.sub (local.get $p) (i32.const 1)))
              (br_if $steps4 (local.get $p))))
          (else
            (local.set $p (i32.const 0))
            (loop $steps1
              (local.set $r (i32.const 0))
              (loop $lanes
                (local.set $row (i32.add (local.get $q) (local.get $r)))
                (f32.store (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2)))
                  (if (result f32) (i32.lt_s (local.get $row) (local.get $m))
                    (then (f32.load (i32.add (local.get $src) (i32.add (i32.mul (local.get $r) (local.get $ars)) (i32.mul (local.get $p) (local.get $aps))))))
                    (else (f32.const 0))))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br_if $lanes (i32.lt_u (local.get $r) (i32.const 4))))
              (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br_if $steps1 (i32.lt_u (local.get $p) (local.get $kc))))))))
      (local.set $q (i32.add (local.get $q) (i32.const 4)))
      (br $quads))))

  ;; One 4×8 tile of C over kc steps from a packed quad of A and a panel of B; C rows ldcb
  ;; bytes apart, `rows` of them stored (the last quad may be short); load = 0 overwrites C.
  (func $tile (param $a i32) (param $b i32) (param $c i32) (param $ldcb i32) (param $kc i32) (param $load i32) (param $rows i32)
    (local $end i32) (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local.set $c1 (i32.add (local.get $c) (local.get $ldcb)))
    (local.set $c2 (i32.add (local.get $c1) (local.get $ldcb)))
    (local.set $c3 (i32.add (local.get $c2) (local.get $ldcb)))
    (if (local.get $load) (then
      (local.set $s00 (v128.load (local.get $c))) (local.set $s01 (v128.load offset=16 (local.get $c)))
      (if (i32.gt_u (local.get $rows) (i32.const 1)) (then
        (local.set $s10 (v128.load (local.get $c1))) (local.set $s11 (v128.load offset=16 (local.get $c1)))))
      (if (i32.gt_u (local.get $rows) (i32.const 2)) (then
        (local.set $s20 (v128.load (local.get $c2))) (local.set $s21 (v128.load offset=16 (local.get $c2)))))
      (if (i32.gt_u (local.get $rows) (i32.const 3)) (then
        (local.set $s30 (v128.load (local.get $c3))) (local.set $s31 (v128.load offset=16 (local.get $c3)))))))
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $kc) (i32.const 4))))
    (loop $steps
      (local.set $b0 (v128.load (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $x (v128.load32_splat (local.get $a)))
      (local.set $s00 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $s00)))
      (local.set $s01 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $s01)))
      (local.set $x (v128.load32_splat offset=4 (local.get $a)))
      (local.set $s10 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $s10)))
      (local.set $s11 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $s11)))
      (local.set $x (v128.load32_splat offset=8 (local.get $a)))
      (local.set $s20 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $s20)))
      (local.set $s21 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $s21)))
      (local.set $x (v128.load32_splat offset=12 (local.get $a)))
      (local.set $s30 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $s30)))
      (local.set $s31 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $s31)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 32)))
      (br_if $steps (i32.ne (local.get $a) (local.get $end))))
    (v128.store (local.get $c) (local.get $s00)) (v128.store offset=16 (local.get $c) (local.get $s01))
    (if (i32.gt_u (local.get $rows) (i32.const 1)) (then
      (v128.store (local.get $c1) (local.get $s10)) (v128.store offset=16 (local.get $c1) (local.get $s11))))
    (if (i32.gt_u (local.get $rows) (i32.const 2)) (then
      (v128.store (local.get $c2) (local.get $s20)) (v128.store offset=16 (local.get $c2) (local.get $s21))))
    (if (i32.gt_u (local.get $rows) (i32.const 3)) (then
      (v128.store (local.get $c3) (local.get $s30)) (v128.store offset=16 (local.get $c3) (local.get $s31)))))

  ;; C[i, j] (+)= Σ_p A(i, p) · B[p, j] for i < m, j < n (n a multiple of 8), B packed by pack_b.
  ;; A(i, p) is at a_ptr + i·a_row_bytes + p·a_step_bytes, so A may be read row- or column-major.
  ;; C rows are ldc floats apart. Rows go in blocks of 128, each block
  ;; of A packed into quads (at a_pack_ptr: 128 KiB of scratch) that stay in cache while every panel of
  ;; B passes over them.
  (func $gemm (export "gemm") (param $a_ptr i32) (param $a_row_bytes i32) (param $a_step_bytes i32) (param $packed_b_ptr i32) (param $c_ptr i32) (param $ldc i32)
    (param $m i32) (param $n i32) (param $k i32) (param $accumulate i32) (param $a_pack_ptr i32)
    (local $rows i32)
    (block $done (loop $blocks
      (br_if $done (i32.le_s (local.get $m) (i32.const 0)))
      (local.set $rows (select (i32.const 128) (local.get $m) (i32.gt_s (local.get $m) (i32.const 128))))
      (call $gemm_block (local.get $a_ptr) (local.get $a_row_bytes) (local.get $a_step_bytes) (local.get $packed_b_ptr) (local.get $c_ptr) (local.get $ldc)
        (local.get $rows) (local.get $n) (local.get $k) (local.get $accumulate) (local.get $a_pack_ptr))
      (local.set $a_ptr (i32.add (local.get $a_ptr) (i32.mul (local.get $rows) (local.get $a_row_bytes))))
      (local.set $c_ptr (i32.add (local.get $c_ptr) (i32.shl (i32.mul (local.get $rows) (local.get $ldc)) (i32.const 2))))
      (local.set $m (i32.sub (local.get $m) (local.get $rows)))
      (br $blocks))))

  (func $gemm_block (param $a i32) (param $ars i32) (param $aps i32) (param $bp i32) (param $c i32) (param $ldc i32)
    (param $m i32) (param $n i32) (param $k i32) (param $acc i32) (param $ap i32)
    (local $p0 i32) (local $kc i32) (local $j i32) (local $i i32) (local $ldcb i32) (local $panel i32)
    (local $aq i32) (local $cb i32) (local $load i32) (local $rows i32)
    (local.set $ldcb (i32.shl (local.get $ldc) (i32.const 2)))
    (block $done (loop $blocks
      (br_if $done (i32.ge_u (local.get $p0) (local.get $k)))
      (local.set $kc (i32.sub (local.get $k) (local.get $p0)))
      (if (i32.gt_u (local.get $kc) (i32.const 256)) (then (local.set $kc (i32.const 256))))
      (local.set $load (i32.or (local.get $acc) (i32.ne (local.get $p0) (i32.const 0))))
      (call $pack_a (i32.add (local.get $a) (i32.mul (local.get $p0) (local.get $aps))) (local.get $ars) (local.get $aps)
        (local.get $ap) (local.get $m) (local.get $kc))
      (local.set $j (i32.const 0))
      (block $jdone (loop $panels
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $panel (i32.add (local.get $bp)
          (i32.shl (i32.add (i32.mul (local.get $p0) (local.get $n)) (i32.mul (local.get $j) (local.get $kc))) (i32.const 2))))
        (local.set $aq (local.get $ap))
        (local.set $cb (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $idone (loop $quads
          (br_if $idone (i32.ge_u (local.get $i) (local.get $m)))
          (local.set $rows (i32.sub (local.get $m) (local.get $i)))
          (call $tile (local.get $aq) (local.get $panel) (local.get $cb) (local.get $ldcb) (local.get $kc) (local.get $load)
            (select (i32.const 4) (local.get $rows) (i32.gt_u (local.get $rows) (i32.const 4))))
          (local.set $aq (i32.add (local.get $aq) (i32.shl (local.get $kc) (i32.const 4))))
          (local.set $cb (i32.add (local.get $cb) (i32.shl (local.get $ldcb) (i32.const 2))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $quads)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $panels)))
      (local.set $p0 (i32.add (local.get $p0) (local.get $kc)))
      (br $blocks))))

  ;; Rows [row_begin, row_end) of the patch matrix of an NHWC convolution: row (img, p, q) holds, tap by tap
  ;; (i, j) and channel by channel, x[img, p·sh + i − top, q·sw + j − left, :], zero outside the
  ;; image; kh·kw·ci floats a row, written from dst_ptr on.
  (func $gather_rows (export "gather_rows")
    (param $x_ptr i32) (param $dst_ptr i32) (param $h i32) (param $w i32) (param $ci i32) (param $ho i32) (param $wo i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (param $row_begin i32) (param $row_end i32)
    (local $r i32) (local $img i32) (local $p i32) (local $q i32) (local $i i32) (local $j i32)
    (local $hi i32) (local $wi i32) (local $cb i32) (local $rowb i32) (local $line i32)
    (local.set $cb (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $rowb (i32.mul (local.get $kw) (local.get $cb)))
    (local.set $r (local.get $row_begin))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $row_end)))
      (local.set $q (i32.rem_u (local.get $r) (local.get $wo)))
      (local.set $p (i32.div_u (local.get $r) (local.get $wo)))
      (local.set $img (i32.div_u (local.get $p) (local.get $ho)))
      (local.set $p (i32.rem_u (local.get $p) (local.get $ho)))
      (local.set $wi (i32.sub (i32.mul (local.get $q) (local.get $sw)) (local.get $left)))
      (local.set $i (i32.const 0))
      (block $idone (loop $taprows
        (br_if $idone (i32.ge_u (local.get $i) (local.get $kh)))
        (local.set $hi (i32.sub (i32.add (i32.mul (local.get $p) (local.get $sh)) (local.get $i)) (local.get $top)))
        (if (i32.or (i32.lt_s (local.get $hi) (i32.const 0)) (i32.ge_s (local.get $hi) (local.get $h)))
          (then (memory.fill (local.get $dst_ptr) (i32.const 0) (local.get $rowb)))
          (else
            (local.set $line (i32.add (local.get $x_ptr)
              (i32.mul (i32.add (i32.mul (local.get $img) (local.get $h)) (local.get $hi)) (i32.mul (local.get $w) (local.get $cb)))))
            (if (i32.and (i32.ge_s (local.get $wi) (i32.const 0)) (i32.le_s (i32.add (local.get $wi) (local.get $kw)) (local.get $w)))
              (then (memory.copy (local.get $dst_ptr) (i32.add (local.get $line) (i32.mul (local.get $wi) (local.get $cb))) (local.get $rowb)))
              (else
                (local.set $j (i32.const 0))
                (block $jdone (loop $taps
                  (br_if $jdone (i32.ge_u (local.get $j) (local.get $kw)))
                  (if (i32.and (i32.ge_s (i32.add (local.get $wi) (local.get $j)) (i32.const 0)) (i32.lt_s (i32.add (local.get $wi) (local.get $j)) (local.get $w)))
                    (then (memory.copy (i32.add (local.get $dst_ptr) (i32.mul (local.get $j) (local.get $cb)))
                      (i32.add (local.get $line) (i32.mul (i32.add (local.get $wi) (local.get $j)) (local.get $cb))) (local.get $cb)))
                    (else (memory.fill (i32.add (local.get $dst_ptr) (i32.mul (local.get $j) (local.get $cb))) (i32.const 0) (local.get $cb))))
                  (local.set $j (i32.add (local.get $j) (i32.const 1)))
                  (br $taps)))))))
        (local.set $dst_ptr (i32.add (local.get $dst_ptr) (local.get $rowb)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $taprows)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

  ;; Output rows [row_begin, row_end) of an NHWC convolution whose filter [kh·kw·ci, co] is packed
  ;; at packed_filter_ptr: block_rows patch rows at a time are gathered into scratch
  ;; (block_rows·kh·kw·ci floats) and multiplied, with a_pack_ptr the product's packing space (see
  ;; gemm). accumulate = 1 adds to out (which then holds, say, the bias).
  (func (export "conv_rows")
    (param $x_ptr i32) (param $h i32) (param $w i32) (param $ci i32) (param $ho i32) (param $wo i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (param $packed_filter_ptr i32) (param $out_ptr i32) (param $co i32) (param $row_begin i32) (param $row_end i32) (param $scratch_ptr i32) (param $block_rows i32) (param $accumulate i32)
    (param $a_pack_ptr i32)
    (local $r i32) (local $rows i32) (local $k i32)
    (local.set $k (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $ci)))
    (local.set $r (local.get $row_begin))
    (block $done (loop $chunks
      (br_if $done (i32.ge_u (local.get $r) (local.get $row_end)))
      (local.set $rows (i32.sub (local.get $row_end) (local.get $r)))
      (if (i32.gt_u (local.get $rows) (local.get $block_rows)) (then (local.set $rows (local.get $block_rows))))
      (call $gather_rows (local.get $x_ptr) (local.get $scratch_ptr) (local.get $h) (local.get $w) (local.get $ci) (local.get $ho) (local.get $wo)
        (local.get $kh) (local.get $kw) (local.get $sh) (local.get $sw) (local.get $top) (local.get $left)
        (local.get $r) (i32.add (local.get $r) (local.get $rows)))
      (call $gemm (local.get $scratch_ptr) (i32.shl (local.get $k) (i32.const 2)) (i32.const 4) (local.get $packed_filter_ptr)
        (i32.add (local.get $out_ptr) (i32.shl (i32.mul (local.get $r) (local.get $co)) (i32.const 2))) (local.get $co)
        (local.get $rows) (local.get $co) (local.get $k) (local.get $accumulate) (local.get $a_pack_ptr))
      (local.set $r (i32.add (local.get $r) (local.get $rows)))
      (br $chunks))))

  ;; dx of max pooling, NHWC, channels a multiple of 4: each output's gradient goes to the first
  ;; largest input of its window in row-major order (as tfjs's cpu kernel does). dx must hold zeros.
  (func (export "max_pool_grad")
    (param $x_ptr i32) (param $dy_ptr i32) (param $dx_ptr i32)
    (param $batch i32) (param $h i32) (param $w i32) (param $c i32) (param $ho i32) (param $wo i32)
    (param $fh i32) (param $fw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (local $b i32) (local $p i32) (local $q i32) (local $r i32) (local $s i32) (local $k i32)
    (local $r0 i32) (local $r1 i32) (local $s0 i32) (local $s1 i32) (local $o i32) (local $cb i32) (local $g i32)
    (local $v v128) (local $best v128) (local $where v128) (local $gt v128) (local $at i32)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $g (local.get $dy_ptr))
    (block $bdone (loop $images
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $p (i32.const 0))
      (block $pdone (loop $rows
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $ho)))
        (local.set $r0 (i32.sub (i32.mul (local.get $p) (local.get $sh)) (local.get $top)))
        (local.set $r1 (i32.add (local.get $r0) (local.get $fh)))
        (if (i32.lt_s (local.get $r0) (i32.const 0)) (then (local.set $r0 (i32.const 0))))
        (if (i32.gt_s (local.get $r1) (local.get $h)) (then (local.set $r1 (local.get $h))))
        (local.set $q (i32.const 0))
        (block $qdone (loop $cols
          (br_if $qdone (i32.ge_u (local.get $q) (local.get $wo)))
          (local.set $s0 (i32.sub (i32.mul (local.get $q) (local.get $sw)) (local.get $left)))
          (local.set $s1 (i32.add (local.get $s0) (local.get $fw)))
          (if (i32.lt_s (local.get $s0) (i32.const 0)) (then (local.set $s0 (i32.const 0))))
          (if (i32.gt_s (local.get $s1) (local.get $w)) (then (local.set $s1 (local.get $w))))
          (local.set $k (i32.const 0))
          (block $kdone (loop $groups
            (br_if $kdone (i32.ge_u (local.get $k) (local.get $cb)))
            (local.set $best (v128.const f32x4 -inf -inf -inf -inf))
            (local.set $where (v128.const i32x4 -1 -1 -1 -1))
            (local.set $r (local.get $r0))
            (block $rdone (loop $wr
              (br_if $rdone (i32.ge_s (local.get $r) (local.get $r1)))
              (local.set $s (local.get $s0))
              (block $sdone (loop $ws
                (br_if $sdone (i32.ge_s (local.get $s) (local.get $s1)))
                (local.set $o (i32.add
                  (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $r)) (local.get $w)) (local.get $s)) (local.get $cb))
                  (local.get $k)))
                (local.set $v (v128.load (i32.add (local.get $x_ptr) (local.get $o))))
                (local.set $gt (f32x4.gt (local.get $v) (local.get $best)))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $gt)))
                (local.set $where (v128.bitselect (i32x4.splat (local.get $o)) (local.get $where) (local.get $gt)))
                (local.set $s (i32.add (local.get $s) (i32.const 1)))
                (br $ws)))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br $wr)))
            ;; Lane l's winner is at byte offset where[l] + 4·l.
            (local.set $at (i32x4.extract_lane 0 (local.get $where)))
            (if (i32.ge_s (local.get $at) (i32.const 0)) (then
              (local.set $at (i32.add (local.get $dx_ptr) (local.get $at)))
              (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32.load (i32.add (local.get $g) (local.get $k)))))))
            (local.set $at (i32x4.extract_lane 1 (local.get $where)))
            (if (i32.ge_s (local.get $at) (i32.const 0)) (then
              (local.set $at (i32.add (local.get $dx_ptr) (local.get $at)))
              (f32.store offset=4 (local.get $at) (f32.add (f32.load offset=4 (local.get $at)) (f32.load offset=4 (i32.add (local.get $g) (local.get $k)))))))
            (local.set $at (i32x4.extract_lane 2 (local.get $where)))
            (if (i32.ge_s (local.get $at) (i32.const 0)) (then
              (local.set $at (i32.add (local.get $dx_ptr) (local.get $at)))
              (f32.store offset=8 (local.get $at) (f32.add (f32.load offset=8 (local.get $at)) (f32.load offset=8 (i32.add (local.get $g) (local.get $k)))))))
            (local.set $at (i32x4.extract_lane 3 (local.get $where)))
            (if (i32.ge_s (local.get $at) (i32.const 0)) (then
              (local.set $at (i32.add (local.get $dx_ptr) (local.get $at)))
              (f32.store offset=12 (local.get $at) (f32.add (f32.load offset=12 (local.get $at)) (f32.load offset=12 (i32.add (local.get $g) (local.get $k)))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $groups)))
          (local.set $g (i32.add (local.get $g) (local.get $cb)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $cols)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $rows)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $images))))

  ;; ---- Winograd F(2×2, 3×3): 3×3 stride-1 convolutions with 16 multiplies per 2×2 outputs ----
  ;; (36 direct). Each 4×4 input tile d becomes V = Bᵀ·d·B and each filter g becomes
  ;; U = G·g·Gᵀ; the 16 entries ξ of V and U meet in 16 matrix products over the input channels,
  ;; M[ξ] = V[ξ]·U[ξ], and Aᵀ·M·A gives the 2×2 outputs. The transforms are adds and halvings,
  ;; so the results differ from a direct convolution by rounding only.

  ;; U[ξ] ([ci, co], row-major, ξ = 4i + j, 16 of them one after another at u_ptr) from the
  ;; filter [3, 3, ci, co]; co a multiple of 4.
  (func (export "winograd_filter") (param $filter_ptr i32) (param $u_ptr i32) (param $ci i32) (param $co i32)
    (local $k i32) (local $cb i32) (local $plane i32) (local $tap i32) (local $o i32) (local $end i32)
    (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128) (local $g4 v128) (local $g5 v128) (local $g6 v128) (local $g7 v128) (local $g8 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128) (local $t4 v128) (local $t5 v128)
    (local $t6 v128) (local $t7 v128) (local $t8 v128) (local $t9 v128) (local $t10 v128) (local $t11 v128) (local $half v128)
    (local.set $half (f32x4.splat (f32.const 0.5)))
    (local.set $plane (i32.shl (i32.mul (local.get $ci) (local.get $co)) (i32.const 2)))
    (local.set $end (local.get $plane))
    (local.set $o (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      ;; g taps (a, b) at g + (3a + b)·plane + o
      (local.set $tap (i32.add (local.get $filter_ptr) (local.get $o)))
      (local.set $g0 (v128.load (local.get $tap)))
      (local.set $g1 (v128.load (i32.add (local.get $tap) (local.get $plane))))
      (local.set $g2 (v128.load (i32.add (local.get $tap) (i32.mul (local.get $plane) (i32.const 2)))))
      (local.set $g3 (v128.load (i32.add (local.get $tap) (i32.mul (local.get $plane) (i32.const 3)))))
      (local.set $g4 (v128.load (i32.add (local.get $tap) (i32.mul (local.get $plane) (i32.const 4)))))
      (local.set $g5 (v128.load (i32.add (local.get $tap) (i32.mul (local.get $plane) (i32.const 5)))))
      (local.set $g6 (v128.load (i32.add (local.get $tap) (i32.mul (local.get $plane) (i32.const 6)))))
      (local.set $g7 (v128.load (i32.add (local.get $tap) (i32.mul (local.get $plane) (i32.const 7)))))
      (local.set $g8 (v128.load (i32.add (local.get $tap) (i32.mul (local.get $plane) (i32.const 8)))))
      ;; t = G·g: rows g0, (g0+g1+g2)/2, (g0−g1+g2)/2, g2 of the 3 filter rows, column by column.
      (local.set $t0 (local.get $g0)) (local.set $t1 (local.get $g1)) (local.set $t2 (local.get $g2))
      (local.set $t3 (f32x4.mul (f32x4.add (f32x4.add (local.get $g0) (local.get $g3)) (local.get $g6)) (local.get $half)))
      (local.set $t4 (f32x4.mul (f32x4.add (f32x4.add (local.get $g1) (local.get $g4)) (local.get $g7)) (local.get $half)))
      (local.set $t5 (f32x4.mul (f32x4.add (f32x4.add (local.get $g2) (local.get $g5)) (local.get $g8)) (local.get $half)))
      (local.set $t6 (f32x4.mul (f32x4.add (f32x4.sub (local.get $g0) (local.get $g3)) (local.get $g6)) (local.get $half)))
      (local.set $t7 (f32x4.mul (f32x4.add (f32x4.sub (local.get $g1) (local.get $g4)) (local.get $g7)) (local.get $half)))
      (local.set $t8 (f32x4.mul (f32x4.add (f32x4.sub (local.get $g2) (local.get $g5)) (local.get $g8)) (local.get $half)))
      (local.set $t9 (local.get $g6)) (local.set $t10 (local.get $g7)) (local.set $t11 (local.get $g8))
      ;; U = t·Gᵀ, row by row: u0 = t0, u1 = (t0+t1+t2)/2, u2 = (t0−t1+t2)/2, u3 = t2.
      (call $winograd_filter_row (i32.add (local.get $u_ptr) (local.get $o)) (local.get $plane) (i32.const 0) (local.get $t0) (local.get $t1) (local.get $t2) (local.get $half))
      (call $winograd_filter_row (i32.add (local.get $u_ptr) (local.get $o)) (local.get $plane) (i32.const 4) (local.get $t3) (local.get $t4) (local.get $t5) (local.get $half))
      (call $winograd_filter_row (i32.add (local.get $u_ptr) (local.get $o)) (local.get $plane) (i32.const 8) (local.get $t6) (local.get $t7) (local.get $t8) (local.get $half))
      (call $winograd_filter_row (i32.add (local.get $u_ptr) (local.get $o)) (local.get $plane) (i32.const 12) (local.get $t9) (local.get $t10) (local.get $t11) (local.get $half))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $l))))

  (func $winograd_filter_row (param $u i32) (param $plane i32) (param $xi i32) (param $a v128) (param $b v128) (param $c v128) (param $half v128)
    (v128.store (i32.add (local.get $u) (i32.mul (local.get $plane) (local.get $xi))) (local.get $a))
    (v128.store (i32.add (local.get $u) (i32.mul (local.get $plane) (i32.add (local.get $xi) (i32.const 1))))
      (f32x4.mul (f32x4.add (f32x4.add (local.get $a) (local.get $b)) (local.get $c)) (local.get $half)))
    (v128.store (i32.add (local.get $u) (i32.mul (local.get $plane) (i32.add (local.get $xi) (i32.const 2))))
      (f32x4.mul (f32x4.add (f32x4.sub (local.get $a) (local.get $b)) (local.get $c)) (local.get $half)))
    (v128.store (i32.add (local.get $u) (i32.mul (local.get $plane) (i32.add (local.get $xi) (i32.const 3)))) (local.get $c)))

  ;; V for tiles [t0, t0 + rows): V[ξ][r][c] at v + ((ξ·rows + r)·ci + c)·4; ci a multiple of 4.
  ;; Tile t covers input rows 2·ty − top … + 3 and columns 2·tx − left … + 3 of image img. A tile
  ;; that crosses the image's edge is first copied, zeros outside, into buf (16·ci floats).
  (func $winograd_input (param $x i32) (param $v i32) (param $h i32) (param $w i32) (param $ci i32) (param $th i32) (param $tw i32)
    (param $top i32) (param $left i32) (param $t0 i32) (param $rows i32) (param $buf i32)
    (local $r i32) (local $t i32) (local $img i32) (local $y i32) (local $col i32) (local $k i32) (local $cb i32) (local $dst i32) (local $step i32)
    (local $base i32) (local $rs i32) (local $i i32) (local $j i32) (local $at i32)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128)
    (local.set $cb (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $step (i32.mul (local.get $rows) (local.get $cb)))
    (block $done (loop $tiles
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $t (i32.add (local.get $t0) (local.get $r)))
      (local.set $img (i32.div_u (local.get $t) (i32.mul (local.get $th) (local.get $tw))))
      (local.set $y (i32.sub (i32.shl (i32.div_u (i32.rem_u (local.get $t) (i32.mul (local.get $th) (local.get $tw))) (local.get $tw)) (i32.const 1)) (local.get $top)))
      (local.set $col (i32.sub (i32.shl (i32.rem_u (local.get $t) (local.get $tw)) (i32.const 1)) (local.get $left)))
      (if (i32.and
            (i32.and (i32.ge_s (local.get $y) (i32.const 0)) (i32.le_s (i32.add (local.get $y) (i32.const 4)) (local.get $h)))
            (i32.and (i32.ge_s (local.get $col) (i32.const 0)) (i32.le_s (i32.add (local.get $col) (i32.const 4)) (local.get $w))))
        (then
          (local.set $base (i32.add (local.get $x)
            (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $img) (local.get $h)) (local.get $y)) (local.get $w)) (local.get $col)) (local.get $cb))))
          (local.set $rs (i32.mul (local.get $w) (local.get $cb))))
        (else
          (local.set $i (i32.const 0))
          (loop $brows
            (local.set $j (i32.const 0))
            (loop $bcols
              (local.set $at (i32.add (local.get $buf) (i32.mul (i32.add (i32.shl (local.get $i) (i32.const 2)) (local.get $j)) (local.get $cb))))
              (if (i32.and (i32.lt_u (i32.add (local.get $y) (local.get $i)) (local.get $h)) (i32.lt_u (i32.add (local.get $col) (local.get $j)) (local.get $w)))
                (then (memory.copy (local.get $at)
                  (i32.add (local.get $x) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $img) (local.get $h)) (i32.add (local.get $y) (local.get $i))) (local.get $w))
                    (i32.add (local.get $col) (local.get $j))) (local.get $cb)))
                  (local.get $cb)))
                (else (memory.fill (local.get $at) (i32.const 0) (local.get $cb))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $bcols (i32.lt_u (local.get $j) (i32.const 4))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $brows (i32.lt_u (local.get $i) (i32.const 4))))
          (local.set $base (local.get $buf))
          (local.set $rs (i32.shl (local.get $cb) (i32.const 2)))))
      (local.set $k (i32.const 0))
      (block $kdone (loop $channels
        (br_if $kdone (i32.ge_u (local.get $k) (local.get $cb)))
        ;; Rows 0..3 of d into a, b, c, d (one vector per column).
        (local.set $at (i32.add (local.get $base) (local.get $k)))
        (local.set $a0 (v128.load (local.get $at)))
        (local.set $a1 (v128.load (i32.add (local.get $at) (local.get $cb))))
        (local.set $a2 (v128.load (i32.add (local.get $at) (i32.shl (local.get $cb) (i32.const 1)))))
        (local.set $a3 (v128.load (i32.add (local.get $at) (i32.mul (local.get $cb) (i32.const 3)))))
        (local.set $at (i32.add (local.get $at) (local.get $rs)))
        (local.set $b0 (v128.load (local.get $at)))
        (local.set $b1 (v128.load (i32.add (local.get $at) (local.get $cb))))
        (local.set $b2 (v128.load (i32.add (local.get $at) (i32.shl (local.get $cb) (i32.const 1)))))
        (local.set $b3 (v128.load (i32.add (local.get $at) (i32.mul (local.get $cb) (i32.const 3)))))
        (local.set $at (i32.add (local.get $at) (local.get $rs)))
        (local.set $c0 (v128.load (local.get $at)))
        (local.set $c1 (v128.load (i32.add (local.get $at) (local.get $cb))))
        (local.set $c2 (v128.load (i32.add (local.get $at) (i32.shl (local.get $cb) (i32.const 1)))))
        (local.set $c3 (v128.load (i32.add (local.get $at) (i32.mul (local.get $cb) (i32.const 3)))))
        (local.set $at (i32.add (local.get $at) (local.get $rs)))
        (local.set $d0 (v128.load (local.get $at)))
        (local.set $d1 (v128.load (i32.add (local.get $at) (local.get $cb))))
        (local.set $d2 (v128.load (i32.add (local.get $at) (i32.shl (local.get $cb) (i32.const 1)))))
        (local.set $d3 (v128.load (i32.add (local.get $at) (i32.mul (local.get $cb) (i32.const 3)))))
        ;; Bᵀ·d row-wise: e = a − c, a' = b + c, c' = c − b, b' = b − d.
        (local.set $e0 (f32x4.sub (local.get $a0) (local.get $c0))) (local.set $e1 (f32x4.sub (local.get $a1) (local.get $c1)))
        (local.set $e2 (f32x4.sub (local.get $a2) (local.get $c2))) (local.set $e3 (f32x4.sub (local.get $a3) (local.get $c3)))
        (local.set $a0 (f32x4.add (local.get $b0) (local.get $c0))) (local.set $a1 (f32x4.add (local.get $b1) (local.get $c1)))
        (local.set $a2 (f32x4.add (local.get $b2) (local.get $c2))) (local.set $a3 (f32x4.add (local.get $b3) (local.get $c3)))
        (local.set $c0 (f32x4.sub (local.get $c0) (local.get $b0))) (local.set $c1 (f32x4.sub (local.get $c1) (local.get $b1)))
        (local.set $c2 (f32x4.sub (local.get $c2) (local.get $b2))) (local.set $c3 (f32x4.sub (local.get $c3) (local.get $b3)))
        (local.set $b0 (f32x4.sub (local.get $b0) (local.get $d0))) (local.set $b1 (f32x4.sub (local.get $b1) (local.get $d1)))
        (local.set $b2 (f32x4.sub (local.get $b2) (local.get $d2))) (local.set $b3 (f32x4.sub (local.get $b3) (local.get $d3)))
        ;; Rows of Bᵀ·d are e, a, c, b; each times B (columns) gives 4 entries of V.
        (local.set $dst (i32.add (i32.add (local.get $v) (i32.mul (local.get $r) (local.get $cb))) (local.get $k)))
        (call $winograd_input_row (local.get $dst) (local.get $step) (local.get $e0) (local.get $e1) (local.get $e2) (local.get $e3))
        (call $winograd_input_row (i32.add (local.get $dst) (i32.shl (local.get $step) (i32.const 2))) (local.get $step) (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3))
        (call $winograd_input_row (i32.add (local.get $dst) (i32.shl (local.get $step) (i32.const 3))) (local.get $step) (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3))
        (call $winograd_input_row (i32.add (local.get $dst) (i32.mul (local.get $step) (i32.const 12))) (local.get $step) (local.get $b0) (local.get $b1) (local.get $b2) (local.get $b3))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $channels)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $tiles))))

  ;; One row of Bᵀ·d times B: (p0 − p2, p1 + p2, p2 − p1, p1 − p3), stored step bytes apart.
  (func $winograd_input_row (param $dst i32) (param $step i32) (param $p0 v128) (param $p1 v128) (param $p2 v128) (param $p3 v128)
    (v128.store (local.get $dst) (f32x4.sub (local.get $p0) (local.get $p2)))
    (v128.store (i32.add (local.get $dst) (local.get $step)) (f32x4.add (local.get $p1) (local.get $p2)))
    (v128.store (i32.add (local.get $dst) (i32.shl (local.get $step) (i32.const 1))) (f32x4.sub (local.get $p2) (local.get $p1)))
    (v128.store (i32.add (local.get $dst) (i32.mul (local.get $step) (i32.const 3))) (f32x4.sub (local.get $p1) (local.get $p3))))

  ;; out (+)= Aᵀ·M·A for tiles [t0, t0 + rows): M[ξ][r][c] at m + ((ξ·rows + r)·co + c)·4; the
  ;; 2×2 outputs of tile t at rows 2·ty, 2·ty + 1 and columns 2·tx, 2·tx + 1, where inside [ho, wo).
  (func $winograd_output (param $m i32) (param $out i32) (param $ho i32) (param $wo i32) (param $co i32) (param $th i32) (param $tw i32)
    (param $t0 i32) (param $rows i32) (param $acc i32)
    (local $r i32) (local $t i32) (local $img i32) (local $y i32) (local $col i32) (local $k i32) (local $cb i32) (local $src i32) (local $step i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $u0 v128) (local $u1 v128) (local $u2 v128) (local $u3 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128) (local $row i32)
    (local.set $cb (i32.shl (local.get $co) (i32.const 2)))
    (local.set $step (i32.mul (local.get $rows) (local.get $cb)))
    (block $done (loop $tiles
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $t (i32.add (local.get $t0) (local.get $r)))
      (local.set $img (i32.div_u (local.get $t) (i32.mul (local.get $th) (local.get $tw))))
      (local.set $y (i32.shl (i32.div_u (i32.rem_u (local.get $t) (i32.mul (local.get $th) (local.get $tw))) (local.get $tw)) (i32.const 1)))
      (local.set $col (i32.shl (i32.rem_u (local.get $t) (local.get $tw)) (i32.const 1)))
      (local.set $k (i32.const 0))
      (block $kdone (loop $channels
        (br_if $kdone (i32.ge_u (local.get $k) (local.get $cb)))
        (local.set $src (i32.add (i32.add (local.get $m) (i32.mul (local.get $r) (local.get $cb))) (local.get $k)))
        ;; s = m0 + m1 + m2 and u = m1 − m2 − m3 over the 4 rows of M, column by column.
        (local.set $q0 (v128.load (local.get $src)))
        (local.set $q1 (v128.load (i32.add (local.get $src) (i32.shl (local.get $step) (i32.const 2)))))
        (local.set $q2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $step) (i32.const 3)))))
        (local.set $q3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $step) (i32.const 12)))))
        (local.set $s0 (f32x4.add (f32x4.add (local.get $q0) (local.get $q1)) (local.get $q2)))
        (local.set $u0 (f32x4.sub (f32x4.sub (local.get $q1) (local.get $q2)) (local.get $q3)))
        (local.set $src (i32.add (local.get $src) (local.get $step)))
        (local.set $q0 (v128.load (local.get $src)))
        (local.set $q1 (v128.load (i32.add (local.get $src) (i32.shl (local.get $step) (i32.const 2)))))
        (local.set $q2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $step) (i32.const 3)))))
        (local.set $q3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $step) (i32.const 12)))))
        (local.set $s1 (f32x4.add (f32x4.add (local.get $q0) (local.get $q1)) (local.get $q2)))
        (local.set $u1 (f32x4.sub (f32x4.sub (local.get $q1) (local.get $q2)) (local.get $q3)))
        (local.set $src (i32.add (local.get $src) (local.get $step)))
        (local.set $q0 (v128.load (local.get $src)))
        (local.set $q1 (v128.load (i32.add (local.get $src) (i32.shl (local.get $step) (i32.const 2)))))
        (local.set $q2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $step) (i32.const 3)))))
        (local.set $q3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $step) (i32.const 12)))))
        (local.set $s2 (f32x4.add (f32x4.add (local.get $q0) (local.get $q1)) (local.get $q2)))
        (local.set $u2 (f32x4.sub (f32x4.sub (local.get $q1) (local.get $q2)) (local.get $q3)))
        (local.set $src (i32.add (local.get $src) (local.get $step)))
        (local.set $q0 (v128.load (local.get $src)))
        (local.set $q1 (v128.load (i32.add (local.get $src) (i32.shl (local.get $step) (i32.const 2)))))
        (local.set $q2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $step) (i32.const 3)))))
        (local.set $q3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $step) (i32.const 12)))))
        (local.set $s3 (f32x4.add (f32x4.add (local.get $q0) (local.get $q1)) (local.get $q2)))
        (local.set $u3 (f32x4.sub (f32x4.sub (local.get $q1) (local.get $q2)) (local.get $q3)))
        ;; Output row 0 from s, row 1 from u: (p0 + p1 + p2, p1 − p2 − p3) across the 4 columns.
        (call $winograd_output_pair (local.get $out) (local.get $img) (local.get $y) (local.get $col) (local.get $ho) (local.get $wo) (local.get $cb) (local.get $k) (local.get $acc)
          (f32x4.add (f32x4.add (local.get $s0) (local.get $s1)) (local.get $s2))
          (f32x4.sub (f32x4.sub (local.get $s1) (local.get $s2)) (local.get $s3)))
        (call $winograd_output_pair (local.get $out) (local.get $img) (i32.add (local.get $y) (i32.const 1)) (local.get $col) (local.get $ho) (local.get $wo) (local.get $cb) (local.get $k) (local.get $acc)
          (f32x4.add (f32x4.add (local.get $u0) (local.get $u1)) (local.get $u2))
          (f32x4.sub (f32x4.sub (local.get $u1) (local.get $u2)) (local.get $u3)))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $channels)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $tiles))))

  ;; Writes (or adds) y0 at output (y, col) and y1 at (y, col + 1), where inside the output.
  (func $winograd_output_pair (param $out i32) (param $img i32) (param $y i32) (param $col i32) (param $ho i32) (param $wo i32) (param $cb i32) (param $k i32) (param $acc i32)
    (param $y0 v128) (param $y1 v128)
    (local $at i32)
    (if (i32.ge_u (local.get $y) (local.get $ho)) (then (return)))
    (local.set $at (i32.add (local.get $out)
      (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $img) (local.get $ho)) (local.get $y)) (local.get $wo)) (local.get $col)) (local.get $cb)) (local.get $k))))
    (if (local.get $acc) (then (local.set $y0 (f32x4.add (local.get $y0) (v128.load (local.get $at))))))
    (v128.store (local.get $at) (local.get $y0))
    (if (i32.ge_u (i32.add (local.get $col) (i32.const 1)) (local.get $wo)) (then (return)))
    (local.set $at (i32.add (local.get $at) (local.get $cb)))
    (if (local.get $acc) (then (local.set $y1 (f32x4.add (local.get $y1) (v128.load (local.get $at))))))
    (v128.store (local.get $at) (local.get $y1)))

  ;; Tiles [tile_begin, tile_end) of a 3×3 stride-1 convolution by Winograd, block_tiles tiles at a
  ;; time; packed_u_ptr holds the 16 U[ξ], each packed by pack_b. Scratch: 16·block_tiles·(ci + co)
  ;; + 16·ci floats for V, M and an edge tile; a_pack_ptr as in gemm.
  (func (export "winograd_rows")
    (param $x_ptr i32) (param $h i32) (param $w i32) (param $ci i32) (param $ho i32) (param $wo i32) (param $top i32) (param $left i32)
    (param $packed_u_ptr i32) (param $out_ptr i32) (param $co i32) (param $tile_begin i32) (param $tile_end i32) (param $scratch_ptr i32) (param $block_tiles i32) (param $accumulate i32) (param $a_pack_ptr i32)
    (local $t i32) (local $rows i32) (local $th i32) (local $tw i32) (local $m i32) (local $xi i32)
    (local.set $th (i32.shr_u (i32.add (local.get $ho) (i32.const 1)) (i32.const 1)))
    (local.set $tw (i32.shr_u (i32.add (local.get $wo) (i32.const 1)) (i32.const 1)))
    (local.set $t (local.get $tile_begin))
    (block $done (loop $blocks
      (br_if $done (i32.ge_u (local.get $t) (local.get $tile_end)))
      (local.set $rows (i32.sub (local.get $tile_end) (local.get $t)))
      (if (i32.gt_u (local.get $rows) (local.get $block_tiles)) (then (local.set $rows (local.get $block_tiles))))
      (local.set $m (i32.add (local.get $scratch_ptr) (i32.shl (i32.mul (i32.mul (local.get $rows) (local.get $ci)) (i32.const 16)) (i32.const 2))))
      (call $winograd_input (local.get $x_ptr) (local.get $scratch_ptr) (local.get $h) (local.get $w) (local.get $ci) (local.get $th) (local.get $tw)
        (local.get $top) (local.get $left) (local.get $t) (local.get $rows)
        (i32.add (local.get $m) (i32.shl (i32.mul (i32.mul (local.get $rows) (local.get $co)) (i32.const 16)) (i32.const 2))))
      (local.set $xi (i32.const 0))
      (loop $products
        (call $gemm
          (i32.add (local.get $scratch_ptr) (i32.shl (i32.mul (i32.mul (local.get $xi) (local.get $rows)) (local.get $ci)) (i32.const 2)))
          (i32.shl (local.get $ci) (i32.const 2)) (i32.const 4)
          (i32.add (local.get $packed_u_ptr) (i32.shl (i32.mul (i32.mul (local.get $xi) (local.get $ci)) (local.get $co)) (i32.const 2)))
          (i32.add (local.get $m) (i32.shl (i32.mul (i32.mul (local.get $xi) (local.get $rows)) (local.get $co)) (i32.const 2)))
          (local.get $co) (local.get $rows) (local.get $co) (local.get $ci) (i32.const 0) (local.get $a_pack_ptr))
        (local.set $xi (i32.add (local.get $xi) (i32.const 1)))
        (br_if $products (i32.lt_u (local.get $xi) (i32.const 16))))
      (call $winograd_output (local.get $m) (local.get $out_ptr) (local.get $ho) (local.get $wo) (local.get $co) (local.get $th) (local.get $tw)
        (local.get $t) (local.get $rows) (local.get $accumulate))
      (local.set $t (i32.add (local.get $t) (local.get $rows)))
      (br $blocks))))
)
