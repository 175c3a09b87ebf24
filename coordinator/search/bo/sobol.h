// SobolSequence: a scrambled Sobol low-discrepancy sequence in [0,1)^d.
//
// Direction numbers are computed here, not read from a table: dimension 1 is
// the van der Corput sequence; dimension j > 1 uses the (j-1)-th primitive
// polynomial over GF(2) (found by search in order of degree, then value) with
// odd initial direction numbers m_k < 2^k drawn from a fixed generator, the
// construction of Sobol (1967) and Bratley & Fox (1988). Each 1-D projection
// is a (0,1)-sequence: the first 2^k points put exactly one point in every
// interval [i/2^k, (i+1)/2^k).
//
// The seed scrambles the sequence with a random linear matrix scramble plus a
// digital shift (Matoušek 1998; Owen's scramble restricted to linear maps),
// which keeps the stratification above and makes the points an unbiased
// randomized QMC design. Same (dims, seed) → same points.
//
// Thread safety: not thread-safe (Next mutates); use one per thread.
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_SOBOL_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_SOBOL_H_

#include <cstdint>
#include <vector>

namespace hpsweep::coordinator::bo {

class SobolSequence {
 public:
  // Dimensions supported (primitive polynomials up to degree 16).
  static constexpr int kMaxDims = 4096;
  // Points per sequence before it wraps around (32-bit digits).
  static constexpr uint64_t kMaxPoints = uint64_t{1} << 32;

  // REQUIRES: 1 <= dims <= kMaxDims (clamped otherwise).
  // `scramble` false gives the classical unscrambled sequence (first point 0).
  SobolSequence(int dims, uint64_t seed, bool scramble = true);

  int dims() const { return dims_; }
  // The next point, each coordinate in [0,1).
  std::vector<double> Next();
  // Skips n points: afterwards Next() returns point index() + n.
  void Skip(uint64_t n);
  // Index of the point Next() returns.
  uint64_t index() const { return index_; }

 private:
  void SetIndex(uint64_t index);

  int dims_;
  // direction_[d * 32 + k]: k-th (0-based) direction number of dimension d,
  // with the most significant bit worth 1/2.
  std::vector<uint32_t> direction_;
  std::vector<uint32_t> shift_;
  std::vector<uint32_t> state_;
  uint64_t index_ = 0;
};

// The first `count` primitive polynomials over GF(2) of degree >= 1, in order
// of degree, then numeric value. Bit i of a value is the coefficient of x^i.
// Exposed for tests.
std::vector<uint32_t> PrimitivePolynomials(int count);

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_SOBOL_H_
