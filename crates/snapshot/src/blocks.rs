//! The fast path of the number-array parser. A block of 64 bytes is sorted at once into digits,
//! commas and white space, as one bit per byte; the masks then prove, without a branch per byte,
//! that the block's numbers are separated by exactly one comma each, and give every number's
//! start and length, so its value is read in one go.
//!
//! Whatever the masks cannot vouch for — a ']', a fault, a number of more than 16 digits, a
//! number running past the block — is left to the byte-by-byte parser in `scanner`, which reads
//! it and reports any fault exactly where it is. The eight-bytes-at-once digit arithmetic both
//! parsers use lives here too.

/// Bytes sorted at once.
const BLOCK: usize = 64;

/// Bytes a block at `at` reads: the block, and the 16 bytes a number starting at its end reads.
pub(crate) const BLOCK_READ: usize = BLOCK + 16;

/// One bit per byte of a block, byte `k` at bit `k`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Classes {
    digit: u64,
    comma: u64,
    space: u64,
}

impl Classes {
    #[cfg(target_arch = "x86_64")]
    fn of(block: &[u8; BLOCK]) -> Classes {
        use std::arch::x86_64::{
            __m128i, _mm_add_epi8, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        };
        let mut classes = Classes::default();
        for (k, lane) in block.chunks_exact(16).enumerate() {
            let v: __m128i = bytemuck::pod_read_unaligned(lane);
            // SAFETY: these intrinsics only need SSE2, which every x86_64 processor has.
            let (digit, comma, space) = unsafe {
                let is = |byte: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(byte as i8));
                // '0'..='9' move to -128..=-119: a digit is what lands below -118.
                let digit = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(0x50)), _mm_set1_epi8(-118));
                let space = _mm_or_si128(_mm_or_si128(is(b' '), is(b'\n')), _mm_or_si128(is(b'\r'), is(b'\t')));
                let bits = |lanes: __m128i| u64::from(_mm_movemask_epi8(lanes) as u16) << (16 * k);
                (bits(digit), bits(is(b',')), bits(space))
            };
            classes.digit |= digit;
            classes.comma |= comma;
            classes.space |= space;
        }
        classes
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn of(block: &[u8; BLOCK]) -> Classes {
        Classes::one_by_one(block)
    }

    /// The same masks, byte by byte (on x86_64, for the tests to check the SIMD masks against).
    #[cfg(any(test, not(target_arch = "x86_64")))]
    fn one_by_one(block: &[u8; BLOCK]) -> Classes {
        let mut classes = Classes::default();
        for (k, &b) in block.iter().enumerate() {
            let bit = 1u64 << k;
            match b {
                b'0'..=b'9' => classes.digit |= bit,
                b',' => classes.comma |= bit,
                b' ' | b'\n' | b'\r' | b'\t' => classes.space |= bit,
                _ => {}
            }
        }
        classes
    }
}

/// For each bit of `marks` (isolated bits, each just after a token), the first byte at or after
/// it that is not white space: where the next token starts. The carry of the addition runs
/// through the white space. A token past the block gives no bit.
fn next_token(marks: u64, space: u64) -> u64 {
    marks.wrapping_add(space) & !space
}

/// The bits below bit `n` (all of them for 64).
fn below(n: u32) -> u64 {
    1u64.checked_shl(n).map_or(u64::MAX, |bit| bit - 1)
}

/// What the masks vouch for in the block at `bytes[at..]`, which starts just after a number
/// (its next token must be a comma): the ends of the numbers proven well formed (a bit at each
/// number's last digit), the starts of all numbers, and the digits.
#[inline(always)]
fn vouched(bytes: &[u8], at: usize) -> (u64, u64, u64) {
    let block: &[u8; BLOCK] = bytes[at..at + BLOCK].try_into().expect("a whole block");
    let Classes { digit, comma, space } = Classes::of(block);
    let other = !(digit | comma | space);
    let ends = digit & !(digit >> 1);
    // The token after each number (and after the one just before the block) must be a comma,
    // and the token after each comma a number. The first place where that fails, or where a
    // byte is none of the three, ends what the block vouches for.
    let after_number = next_token(ends << 1 | 1, space);
    let after_comma = next_token(comma << 1, space);
    let fault = other | (after_number & !comma) | (after_comma & !digit);
    // A number touching the block's last byte may go on past it.
    let ends = ends & below(fault.trailing_zeros()) & !(1 << (BLOCK - 1));
    (ends, digit & !(digit << 1), digit)
}

/// Parses the numbers of the block at `bytes[at..]`, which starts just after a number (its
/// next token must be a comma), and hands each number the block proves well formed to `take`
/// with its offset in `bytes`, until `take` returns false. `bytes` must hold [`BLOCK_READ`]
/// bytes from `at`. Returns the offset just after the last number handed on (`at` if none was).
#[inline(always)]
pub(crate) fn parse_block(bytes: &[u8], at: usize, mut take: impl FnMut(usize, u64) -> bool) -> usize {
    let (mut ends, mut starts, _) = vouched(bytes, at);
    // A whole read at once: no number's digits need a bounds check of their own.
    let block: &[u8; BLOCK_READ] = bytes[at..at + BLOCK_READ].try_into().expect("a whole read");
    let mut done = at;
    while ends != 0 {
        let (start, end) = (starts.trailing_zeros() as usize, ends.trailing_zeros() as usize);
        let len = end + 1 - start;
        if len > 16 {
            break;
        }
        if !take(at + start, digits_value(block, start, len)) {
            break;
        }
        done = at + end + 1;
        starts &= starts - 1;
        ends &= ends - 1;
    }
    done
}

/// Counts the numbers of the block at `bytes[at..]` that [`parse_block`] would hand on, without
/// reading their values, when none is longer than 16 digits: how many, and the offset just
/// after the last; `(0, at)` when the block vouches for none or has a longer one (the byte
/// parser then takes over, as after [`parse_block`]).
#[inline(always)]
pub(crate) fn count_block(bytes: &[u8], at: usize) -> (usize, usize) {
    let (ends, _, digit) = vouched(bytes, at);
    if ends == 0 || long_number_ends(ends, digit) != 0 {
        return (0, at);
    }
    (ends.count_ones() as usize, at + BLOCK - ends.leading_zeros() as usize)
}

/// The bits of `ends` (numbers' last digits) that end a number of 17 digits or more: those with
/// digits at all of the 16 places before them. Bit k of `run` says whether bytes k-15..=k are
/// all digits: runs of 2, 4, 8, then 16, each made of two of the last.
#[inline(always)]
fn long_number_ends(ends: u64, digit: u64) -> u64 {
    let run = (0..4).fold(digit, |run, doubling| run & run << (1 << doubling));
    ends & run << 1
}

/// The value of the `len` (1 to 16) digits at `bytes[start..]`, which holds 16 bytes from there.
#[inline(always)]
fn digits_value(bytes: &[u8], start: usize, len: usize) -> u64 {
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
    if len <= 8 {
        first_digits(word(start), len)
    } else {
        eight_digits(word(start)) * 10u64.pow(len as u32 - 8) + first_digits(word(start + 8), len - 8)
    }
}

/// The value of the first `len` (1 to 8) bytes of `word` (first byte lowest), all digits.
#[inline(always)]
pub(crate) fn first_digits(word: u64, len: usize) -> u64 {
    // The digits move to the top bytes; the zero bytes below them read as '0's.
    eight_digits(word << (64 - 8 * len))
}

const EVERY_BYTE: u64 = 0x0101_0101_0101_0101;

/// How many of the eight bytes of `word` (first byte lowest) are ASCII digits before the first
/// one that is not.
#[inline(always)]
pub(crate) fn leading_digits(word: u64) -> usize {
    let high = 0xF0 * EVERY_BYTE;
    let zeros = 0x30 * EVERY_BYTE;
    // A byte is a digit when it and it plus 6 both have 3 as high nibble. A carry out of a byte
    // of 0xFA or more only reaches bytes after that non-digit.
    let not_digit = ((word & high) ^ zeros) | ((word.wrapping_add(6 * EVERY_BYTE) & high) ^ zeros);
    let low7 = 0x7F * EVERY_BYTE;
    let nonzero = (((not_digit & low7).wrapping_add(low7)) | not_digit) & (0x80 * EVERY_BYTE);
    (nonzero.trailing_zeros() / 8) as usize
}

/// The value of the eight ASCII digits in `word`, the first digit in the lowest byte.
#[inline(always)]
fn eight_digits(word: u64) -> u64 {
    let singles = word & (0x0F * EVERY_BYTE);
    let pairs = (singles.wrapping_mul(10 << 8 | 1) >> 8) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100 << 16 | 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    quads.wrapping_mul(10_000 << 32 | 1) >> 32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value at every place of a block, and blocks of snapshot-like text.
    #[test]
    fn the_masks_sort_bytes_as_a_byte_by_byte_reading_does() {
        for byte in 0..=255u8 {
            for k in [0, 15, 16, 31, 47, 63] {
                let mut block = [b'7'; BLOCK];
                block[k] = byte;
                assert_eq!(Classes::of(&block), Classes::one_by_one(&block), "byte {byte} at {k}");
            }
        }
        let text = b"0,1,2,3,4,5,6\n,9,10,22,0,44914,0,0\r\n,\t3 , 528665 ,10626119]x\n,1,0,10626098\n,1,1";
        let block: &[u8; BLOCK] = text[..BLOCK].try_into().unwrap();
        assert_eq!(Classes::of(block), Classes::one_by_one(block));
    }

    /// The numbers `parse_block` hands on from `text` (padded to a whole read), and where it stops.
    fn parsed(text: &str) -> (Vec<(usize, u64)>, usize) {
        let mut bytes = text.as_bytes().to_vec();
        bytes.resize(BLOCK_READ.max(bytes.len()), b' ');
        let mut numbers = Vec::new();
        let stop = parse_block(&bytes, 0, |at, value| {
            numbers.push((at, value));
            true
        });
        (numbers, stop)
    }

    #[test]
    fn numbers_separated_by_one_comma_are_parsed() {
        let (numbers, stop) = parsed(",1,22 , 333\n,4444,\t1234567890123456,0,");
        let values: Vec<u64> = numbers.iter().map(|&(_, v)| v).collect();
        assert_eq!(values, [1, 22, 333, 4444, 1234567890123456, 0]);
        assert_eq!(numbers[1].0, 3);
        assert_eq!(stop, 37);
    }

    #[test]
    fn parsing_stops_before_anything_the_masks_cannot_vouch_for() {
        // Each case: the text, and how many numbers come before the trouble.
        for (text, good) in [
            ("1", 0),                      // no comma before the first number
            (",1,2 3,4", 2),               // two numbers without a comma: 3 is not taken
            (",1,,2", 1),                  // two commas
            (",1,2]", 2),                  // the end of the array: left to the byte parser
            (",1,2,x", 2),                 // a byte that is not part of a number array
            (",1,12345678901234567,2", 1), // 17 digits
            (",1,-2", 1),
        ] {
            let (numbers, _) = parsed(text);
            assert_eq!(numbers.len(), good, "{text:?}: {numbers:?}");
        }
        // A number that touches the block's end may continue after it.
        let text = format!("{},{}", " ".repeat(BLOCK - 6), "12345678");
        assert_eq!(parsed(&text).0, []);
    }

    proptest::proptest! {
        /// The long numbers' ends are those with a digit at each of the 16 places before. The
        /// digit masks have a non-digit in one place of 16 on average, so that runs of 15, 16
        /// and 17 digits are common.
        #[test]
        fn long_numbers_end_after_sixteen_digits(ends: u64, masks: [u64; 4]) {
            let digit = !(masks[0] & masks[1] & masks[2] & masks[3]);
            let one_place_at_a_time = (1..=16).fold(ends, |long, k| long & digit << k);
            proptest::prop_assert_eq!(long_number_ends(ends, digit), one_place_at_a_time);
        }

        /// Counting hands on what parsing would, or nothing when the next number parsing would
        /// meet is longer than 16 digits (both leave that to the byte parser).
        #[test]
        fn counting_agrees_with_parsing(
            tokens in proptest::collection::vec((1usize..=20, 0usize..3, proptest::bool::ANY), 1..30),
        ) {
            let mut text = String::new();
            for &(digits, spaces, comma) in &tokens {
                // Without a comma, a space keeps two numbers apart (and the block's vouching
                // stops there).
                text.push_str(&" ".repeat(if comma { spaces } else { spaces.max(1) }));
                if comma {
                    text.push(',');
                }
                text.push_str(&"9".repeat(digits));
            }
            let (numbers, stop) = parsed(&text);
            let long_next = tokens.get(numbers.len()).is_some_and(|&(digits, _, _)| digits > 16);
            let mut bytes = text.into_bytes();
            bytes.resize(BLOCK_READ.max(bytes.len()), b' ');
            let counted = count_block(&bytes, 0);
            let parsed = if numbers.is_empty() { (0, 0) } else { (numbers.len(), stop) };
            proptest::prop_assert!(counted == parsed || (counted == (0, 0) && long_next), "{counted:?} {parsed:?}");
        }
    }

    #[test]
    fn a_refused_number_ends_the_block() {
        let mut bytes = b",1,2,3,4".to_vec();
        bytes.resize(BLOCK_READ, b' ');
        let mut seen = Vec::new();
        let stop = parse_block(&bytes, 0, |_, value| {
            seen.push(value);
            value != 2
        });
        assert_eq!((seen, stop), (vec![1, 2], 2));
    }
}
