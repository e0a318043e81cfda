export { Answerer, passagesRead, type AnswerOptions, type AnswerResult, type AnswerSettings } from './answerer.ts';
export { MODES, ON_CONFLICT, type Mode, type OnConflict } from './modes.ts';
export { selectCandidates, type Candidate } from './candidates.ts';
export { AnswerScheduler, SchedulerError, type SchedulerOptions } from './scheduler.ts';
export { LocalLm, type AnswerLm, type LmGeneration } from './lm.ts';
export { ThreadedLm } from './lm-thread.ts';
export { Calibrator, type AnswerSignals, type CalibrationFile } from './calibrator.ts';
export { Reader, READER_FILE, readerSha256, type ReaderSpan, type SpanReader } from './reader.ts';
export { ThreadedReader } from './reader-thread.ts';
