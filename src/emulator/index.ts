// Public surface of src/emulator/: the terminal model (Emulator), its snapshots, the display differ (newFrame)
// and the differ's vocabulary check. Nothing here knows about networks.
export {
  Emulator,
  type EmulatorOptions,
  type Disposable,
  type HistorySink,
  type LazyHistoryText,
  type HistoryRowText,
  MAX_TITLE_LENGTH,
  MAX_CLIPBOARD_LENGTH,
} from './emulator';
export { plainLineBytes, plainLineText } from './plainline';
export {
  type Snapshot,
  Row,
  type Modes,
  type Cursor,
  type MouseTracking,
  type MouseEncoding,
  DEFAULT_MODES,
  blankRow,
  blankSnapshot,
  cellWidth,
  rowsEqual,
  modesEqual,
  screensEqual,
  snapshotsEqual,
  rowText,
} from './snapshot';
export { newFrame, newFrameBytes, type NewFrameOptions, type Vocabulary } from './newframe';
export { checkSnapshotShape, reviveSnapshot } from './framecheck';
export { type PlainRow, wordsOfStyle } from './row';
export { styleOf, blankStyleOf, moshStyle, isBackgroundOnly } from './style';
export { glibcWidth, isStableWidth } from './widths';
export { MAX_COLS, MAX_ROWS, MAX_CELLS, screenSizeProblem, clampScreenSize } from './limits';
export { Framebuffer } from './framebuffer';
