// Public surface of src/predict/: the prediction engine (local echo overlays), the notification bar and the
// overlay drawing helpers they share. Reads framebuffers, produces new ones; never edits the authoritative one.
export { PredictionEngine } from './prediction';
export {
  type DisplayPreference,
  type PredictionEngineOptions,
  type PredictionEngineState,
  type PredictionStats,
  PASTE_THRESHOLD,
  PREDICTION_WAKEUP,
} from './state';
export {
  NotificationEngine,
  type NotificationOptions,
  type NotificationState,
  BAR_TEXT,
  escapeKeyName,
  humanReadableDuration,
  drawBar,
} from './notification';
export { SnapshotOverlay, cellAt, withUnderline, type Cell } from './overlay';
