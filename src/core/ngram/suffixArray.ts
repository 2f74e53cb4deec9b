/**
 * Suffix array construction by induced sorting (SA-IS, Nong, Zhang & Chan
 * 2009), after the AtCoder Library's sa_is: linear time, so 10 MB of text
 * sorts in a couple of seconds where comparison sorting of suffixes of
 * repetitive code (long common prefixes) would take minutes.
 *
 * `s` holds symbols 0..upper. The result lists the start of every suffix of
 * `s` in lexicographic order, a suffix that is a prefix of another first.
 */
export function buildSuffixArray(s: ArrayLike<number>, upper: number): Int32Array {
  const n = s.length;
  if (n === 0) return new Int32Array(0);
  if (n === 1) return Int32Array.of(0);
  if (n < 16) return naiveSuffixArray(s);

  const sa = new Int32Array(n);
  // ls[i]: suffix i is S-type (smaller than suffix i + 1).
  const ls = new Uint8Array(n);
  for (let i = n - 2; i >= 0; i--) ls[i] = s[i] === s[i + 1] ? ls[i + 1] : s[i] < s[i + 1] ? 1 : 0;
  // Bucket starts: sumL[c] where the L-type suffixes starting with c begin, sumS[c] the S-type ones.
  const sumL = new Int32Array(upper + 2);
  const sumS = new Int32Array(upper + 2);
  for (let i = 0; i < n; i++) {
    if (!ls[i]) sumS[s[i]]++;
    else sumL[s[i] + 1]++;
  }
  for (let i = 0; i <= upper; i++) {
    sumS[i] += sumL[i];
    if (i < upper) sumL[i + 1] += sumS[i];
  }
  const buf = new Int32Array(upper + 2);
  const induce = (lms: Int32Array) => {
    sa.fill(-1);
    buf.set(sumS);
    for (let k = 0; k < lms.length; k++) {
      const d = lms[k];
      if (d !== n) sa[buf[s[d]]++] = d;
    }
    buf.set(sumL);
    sa[buf[s[n - 1]]++] = n - 1;
    for (let i = 0; i < n; i++) {
      const v = sa[i];
      if (v >= 1 && !ls[v - 1]) sa[buf[s[v - 1]]++] = v - 1;
    }
    buf.set(sumL);
    for (let i = n - 1; i >= 0; i--) {
      const v = sa[i];
      if (v >= 1 && ls[v - 1]) sa[--buf[s[v - 1] + 1]] = v - 1;
    }
  };

  // LMS positions (an S-type suffix right after an L-type one), and each one's rank among them.
  const lmsMap = new Int32Array(n + 1).fill(-1);
  let m = 0;
  for (let i = 1; i < n; i++) if (!ls[i - 1] && ls[i]) lmsMap[i] = m++;
  const lms = new Int32Array(m);
  for (let i = 1, k = 0; i < n; i++) if (!ls[i - 1] && ls[i]) lms[k++] = i;
  induce(lms);
  if (m === 0) return sa;

  // Name the LMS substrings in sorted order, sort the reduced string recursively, and induce again from it.
  const sortedLms = new Int32Array(m);
  for (let i = 0, k = 0; i < n; i++) if (lmsMap[sa[i]] !== -1) sortedLms[k++] = sa[i];
  const recS = new Int32Array(m);
  let recUpper = 0;
  recS[lmsMap[sortedLms[0]]] = 0;
  for (let i = 1; i < m; i++) {
    let l = sortedLms[i - 1];
    let r = sortedLms[i];
    const endL = lmsMap[l] + 1 < m ? lms[lmsMap[l] + 1] : n;
    const endR = lmsMap[r] + 1 < m ? lms[lmsMap[r] + 1] : n;
    let same = true;
    if (endL - l !== endR - r) same = false;
    else {
      while (l < endL && s[l] === s[r]) {
        l++;
        r++;
      }
      if (l === n || s[l] !== s[r]) same = false;
    }
    if (!same) recUpper++;
    recS[lmsMap[sortedLms[i]]] = recUpper;
  }
  const recSa = buildSuffixArray(recS, recUpper);
  for (let i = 0; i < m; i++) sortedLms[i] = lms[recSa[i]];
  induce(sortedLms);
  return sa;
}

/** Short inputs: sort the suffixes by direct comparison. */
function naiveSuffixArray(s: ArrayLike<number>): Int32Array {
  const n = s.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    if (a === b) return 0;
    while (a < n && b < n) {
      if (s[a] !== s[b]) return s[a] - s[b];
      a++;
      b++;
    }
    return a === n ? -1 : 1;
  });
  return Int32Array.from(order);
}
