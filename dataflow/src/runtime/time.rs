//! Logical time: every accepted event gets a unique, totally ordered time
//! `(ts, seq)` from its app's ingress sequencer, packed as `ts << 64 | seq` in a
//! `u128`, which timely accepts as a totally ordered timestamp.

/// A logical time: milliseconds in the high 64 bits, the arrival number in the low.
pub type Time = u128;

/// The timely timestamp: a batch of consecutive logical times. Giving every event
/// its own timely timestamp costs a round of progress tracking per event; instead
/// messages carry their logical [`Time`] and operators order each epoch's messages
/// by it, which yields the same per-event order at a fraction of the coordination.
pub type Epoch = u64;

/// Packs `(ts, seq)`; negative `ts` is clamped to 0 (times start at the epoch).
pub fn pack(ts: i64, seq: u64) -> Time {
    ((ts.max(0) as u128) << 64) | seq as u128
}

/// The milliseconds part of a logical time.
pub fn millis(time: Time) -> i64 {
    (time >> 64) as i64
}

/// The arrival-number part of a logical time.
pub fn seq(time: Time) -> u64 {
    time as u64
}

/// Hands out logical times: `ts` never goes backwards (an event older than the
/// last one is processed at the last one's `ts`; its own timestamp stays on the
/// event), `seq` counts every event and tick.
#[derive(Debug, Default, Clone)]
pub struct Sequencer {
    last_ts: i64,
    next_seq: u64,
}

impl Sequencer {
    /// A sequencer starting at time 0.
    pub fn new() -> Sequencer {
        Sequencer::default()
    }
    /// The time for something arriving at `ts` milliseconds.
    pub fn next(&mut self, ts: i64) -> Time {
        self.last_ts = self.last_ts.max(ts);
        self.next_seq += 1;
        pack(self.last_ts, self.next_seq)
    }
    /// The milliseconds of the latest time handed out.
    pub fn now(&self) -> i64 {
        self.last_ts
    }
    /// The latest time handed out (0 before the first).
    pub fn last(&self) -> Time {
        pack(self.last_ts, self.next_seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_ordered_and_never_go_back() {
        let mut s = Sequencer::new();
        let a = s.next(100);
        let b = s.next(50);
        let c = s.next(100);
        assert!(a < b && b < c);
        assert_eq!(millis(b), 100);
        assert_eq!(seq(c), 3);
    }
}
