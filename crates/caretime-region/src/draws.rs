//! Portable random draws: ChaCha8 words turned into numbers by this module's own arithmetic.
//!
//! The values depend only on the ChaCha8 stream, which is specified and portable, and on the
//! arithmetic here, which uses no platform `libm` (musl's logarithm, in Rust, from the `libm`
//! crate) and no `rand` distribution (whose draws may change between versions). So the same seed
//! gives the same region and the same simulation on every machine and every build. The region
//! generator and the simulator both draw through [`Draws`].

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A stream of draws from one ChaCha8 stream.
#[derive(Debug, Clone)]
pub struct Draws(ChaCha8Rng);

impl Draws {
    /// The draws of `seed`'s stream 0.
    pub fn new(seed: u64) -> Draws {
        Draws(ChaCha8Rng::seed_from_u64(seed))
    }

    /// The draws of `seed`'s stream `stream`: independent of every other stream of that seed.
    pub fn with_stream(seed: u64, stream: u64) -> Draws {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Draws(rng)
    }

    /// A uniform number in [0, 1) with 53 random bits.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p` (never for `p <= 0`, always for `p >= 1`).
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A number in `0..n` (`n > 0`; 0 for `n == 0`). Multiply-shift: the bias is below
    /// n / 2^64, far below anything a region or a simulation could show.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// An index into a slice of `len > 0` items.
    #[inline]
    pub fn index(&mut self, len: usize) -> usize {
        // `len` is a slice length, so it fits a u64, and the result is below it.
        self.below(len as u64) as usize
    }

    /// About normal with mean 0 and standard deviation 1: the sum of four uniforms (Irwin-Hall),
    /// rescaled. Bounded at ±3.5, which suits homes around a clinic; it needs no `ln` or `cos`.
    #[inline]
    pub fn normal(&mut self) -> f64 {
        let sum = self.unit() + self.unit() + self.unit() + self.unit();
        // The sum has mean 2 and variance 4/12.
        (sum - 2.0) * 3.0_f64.sqrt()
    }

    /// An exponential draw with mean `mean`.
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        // 1 - u is in (0, 1], so the logarithm is finite.
        -mean * libm::log(1.0 - self.unit())
    }

    /// Failures before the first success, with mean `mean` (0 for a mean of 0 or less; at most
    /// `u32::MAX`).
    #[inline]
    pub fn geometric(&mut self, mean: f64) -> u32 {
        if mean <= 0.0 {
            return 0;
        }
        let p = 1.0 / (mean + 1.0);
        let u = 1.0 - self.unit();
        (libm::log(u) / libm::log(1.0 - p))
            .floor()
            .min(f64::from(u32::MAX)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::Draws;

    #[test]
    fn draws_have_their_means() {
        let n = 100_000;
        let mut draws = Draws::with_stream(1, 2);
        let mean = |values: Vec<f64>| values.iter().sum::<f64>() / values.len() as f64;
        let normal: Vec<f64> = (0..n).map(|_| draws.normal()).collect();
        let normal_mean = mean(normal.clone());
        let variance = mean(normal.iter().map(|x| (x - normal_mean).powi(2)).collect());
        assert!(normal_mean.abs() < 0.01, "{normal_mean}");
        assert!((variance - 1.0).abs() < 0.02, "{variance}");
        let exponential = mean((0..n).map(|_| draws.exponential(3.0)).collect());
        assert!((exponential - 3.0).abs() < 0.05, "{exponential}");
        let geometric = mean((0..n).map(|_| f64::from(draws.geometric(4.0))).collect());
        assert!((geometric - 4.0).abs() < 0.1, "{geometric}");
        let below = mean((0..n).map(|_| draws.below(10) as f64).collect());
        assert!((below - 4.5).abs() < 0.05, "{below}");
        assert!((0..n).all(|_| draws.below(7) < 7 && draws.index(3) < 3));
        assert_eq!(draws.geometric(0.0), 0);
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let words = |mut draws: Draws| (0..8).map(|_| draws.below(u64::MAX)).collect::<Vec<_>>();
        assert_eq!(words(Draws::new(7)), words(Draws::with_stream(7, 0)));
        assert_eq!(
            words(Draws::with_stream(7, 3)),
            words(Draws::with_stream(7, 3))
        );
        assert_ne!(
            words(Draws::with_stream(7, 3)),
            words(Draws::with_stream(7, 4))
        );
    }
}
