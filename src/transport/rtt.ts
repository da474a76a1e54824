// Round-trip estimation from echoed 16-bit timestamps (mosh-protocol.md section 3.2): SRTT, RTTVAR, RTO and
// the frame interval derived from them. Pure arithmetic; it never reads a clock.

export const MIN_RTO = 50;
export const MAX_RTO = 1000;
export const SEND_INTERVAL_MIN = 20;
export const SEND_INTERVAL_MAX = 250;
/** Samples at or above this (e.g. after the peer was suspended) are ignored. */
export const RTT_SAMPLE_CAP = 5000;

export interface RttSnapshot {
  srtt: number;
  rttvar: number;
  hit: boolean;
}

export class RttEstimator {
  srtt = 1000;
  rttvar = 500;
  /** Whether any sample has been taken. */
  hit = false;

  /** Feeds one sample in ms. Returns false if it was ignored. */
  sample(r: number): boolean {
    if (!(r >= 0) || r >= RTT_SAMPLE_CAP) return false;
    if (!this.hit) {
      this.srtt = r;
      this.rttvar = r / 2;
      this.hit = true;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    return true;
  }

  /** Retransmission timeout: ceil(SRTT + 4 RTTVAR), clamped to [50, 1000] ms. */
  rto(): number {
    return Math.min(MAX_RTO, Math.max(MIN_RTO, Math.ceil(this.srtt + 4 * this.rttvar)));
  }

  /** Frame interval: ceil(SRTT / 2), clamped to [20, 250] ms (250 before any sample, since SRTT starts at 1000). */
  sendInterval(): number {
    return Math.min(SEND_INTERVAL_MAX, Math.max(SEND_INTERVAL_MIN, Math.ceil(this.srtt / 2)));
  }

  snapshot(): RttSnapshot {
    return { srtt: this.srtt, rttvar: this.rttvar, hit: this.hit };
  }

  restore(s: RttSnapshot): void {
    this.srtt = s.srtt;
    this.rttvar = s.rttvar;
    this.hit = s.hit;
  }
}
