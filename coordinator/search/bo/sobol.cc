#include "coordinator/search/bo/sobol.h"

#include <algorithm>

#include "coordinator/search/bo/problem.h"

namespace hpsweep::coordinator::bo {
namespace {

constexpr int kBits = 32;

int Degree(uint32_t p) { return 31 - __builtin_clz(p); }

// (a * b) mod p over GF(2); a, b of degree < deg(p) <= 31.
uint32_t MulMod(uint32_t a, uint32_t b, uint32_t p, int deg) {
  uint64_t r = 0;
  for (int i = 0; i < deg; ++i) {
    if (b >> i & 1) r ^= static_cast<uint64_t>(a) << i;
  }
  for (int i = 2 * deg - 2; i >= deg; --i) {
    if (r >> i & 1) r ^= static_cast<uint64_t>(p) << (i - deg);
  }
  return static_cast<uint32_t>(r);
}

uint32_t PowMod(uint32_t base, uint64_t e, uint32_t p, int deg) {
  uint32_t result = 1;
  while (e > 0) {
    if (e & 1) result = MulMod(result, base, p, deg);
    base = MulMod(base, base, p, deg);
    e >>= 1;
  }
  return result;
}

// p (degree s) is primitive iff x has multiplicative order exactly 2^s - 1
// modulo p; that also implies p is irreducible.
bool IsPrimitive(uint32_t p) {
  const int s = Degree(p);
  if ((p & 1) == 0) return false;
  if (s == 1) return true;  // x + 1
  const uint64_t order = (uint64_t{1} << s) - 1;
  const uint32_t x = 2;
  if (PowMod(x, order, p, s) != 1) return false;
  uint64_t m = order;
  for (uint64_t q = 2; q * q <= m; ++q) {
    if (m % q != 0) continue;
    while (m % q == 0) m /= q;
    if (PowMod(x, order / q, p, s) == 1) return false;
  }
  if (m > 1 && m != order && PowMod(x, order / m, p, s) == 1) return false;
  return true;
}

}  // namespace

std::vector<uint32_t> PrimitivePolynomials(int count) {
  std::vector<uint32_t> out;
  for (uint32_t p = 2; static_cast<int>(out.size()) < count && p < (1u << 20); ++p) {
    if (IsPrimitive(p)) out.push_back(p);
  }
  return out;
}

SobolSequence::SobolSequence(int dims, uint64_t seed, bool scramble)
    : dims_(std::clamp(dims, 1, kMaxDims)),
      direction_(static_cast<size_t>(dims_) * kBits),
      shift_(dims_, 0),
      state_(dims_, 0) {
  const std::vector<uint32_t> polys = PrimitivePolynomials(dims_ - 1);
  // Initial direction numbers come from a fixed stream, independent of the
  // scrambling seed, so that every seed scrambles the same base sequence.
  Rng init(0x50B01u);
  for (int d = 0; d < dims_; ++d) {
    uint32_t* v = &direction_[static_cast<size_t>(d) * kBits];
    if (d == 0) {
      for (int k = 0; k < kBits; ++k) v[k] = 1u << (kBits - 1 - k);
      continue;
    }
    const uint32_t p = polys[d - 1];
    const int s = Degree(p);
    std::vector<uint64_t> m(kBits);
    for (int k = 0; k < s && k < kBits; ++k) {
      // Odd m_k < 2^(k+1) (k 0-based); the first is 1.
      m[k] = k == 0 ? 1 : (init.Below(uint64_t{1} << k) << 1 | 1);
    }
    for (int k = s; k < kBits; ++k) {
      // m_k = 2 a_1 m_{k-1} ^ 4 a_2 m_{k-2} ^ ... ^ 2^s m_{k-s} ^ m_{k-s},
      // a_i the coefficient of x^(s-i).
      uint64_t mk = m[k - s] ^ (m[k - s] << s);
      for (int i = 1; i < s; ++i) {
        if (p >> (s - i) & 1) mk ^= m[k - i] << i;
      }
      m[k] = mk;
    }
    for (int k = 0; k < kBits; ++k) v[k] = static_cast<uint32_t>(m[k] << (kBits - 1 - k));
  }
  if (scramble) {
    Rng rng(MixSeed(seed, 0x5C0B0u));
    for (int d = 0; d < dims_; ++d) {
      // Lower-triangular binary matrix with unit diagonal acting on digits
      // (digit 0 = most significant). Row r as a mask over the 32 digits.
      uint32_t rows[kBits];
      for (int r = 0; r < kBits; ++r) {
        const uint32_t below = static_cast<uint32_t>(rng.NextU64());
        // Digits j < r are bits (31-j) > (31-r): keep bits above bit (31-r).
        const uint32_t mask_above = r == 0 ? 0u : ~((1u << (kBits - r)) - 1u);
        rows[r] = (below & mask_above) | (1u << (kBits - 1 - r));
      }
      uint32_t* v = &direction_[static_cast<size_t>(d) * kBits];
      for (int k = 0; k < kBits; ++k) {
        uint32_t out = 0;
        for (int r = 0; r < kBits; ++r) {
          if (__builtin_parity(rows[r] & v[k])) out |= 1u << (kBits - 1 - r);
        }
        v[k] = out;
      }
      shift_[d] = static_cast<uint32_t>(rng.NextU64());
    }
  }
  SetIndex(0);
}

void SobolSequence::SetIndex(uint64_t index) {
  index_ = index;
  const uint64_t gray = index ^ (index >> 1);
  for (int d = 0; d < dims_; ++d) {
    uint32_t x = shift_[d];
    for (int k = 0; k < kBits; ++k) {
      if (gray >> k & 1) x ^= direction_[static_cast<size_t>(d) * kBits + k];
    }
    state_[d] = x;
  }
}

std::vector<double> SobolSequence::Next() {
  std::vector<double> out(dims_);
  for (int d = 0; d < dims_; ++d) out[d] = state_[d] * 0x1.0p-32;
  // Gray-code step: flip the direction of the lowest zero bit of index_.
  const int c = __builtin_ctzll(~index_);
  if (c < kBits) {
    for (int d = 0; d < dims_; ++d) state_[d] ^= direction_[static_cast<size_t>(d) * kBits + c];
    ++index_;
  } else {
    SetIndex((index_ + 1) % kMaxPoints);
  }
  return out;
}

void SobolSequence::Skip(uint64_t n) { SetIndex((index_ + n) % kMaxPoints); }

}  // namespace hpsweep::coordinator::bo
