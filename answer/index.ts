export { Answerer, type AnswerOptions, type AnswerResult, type AnswerSettings, type Mode } from './answerer.ts';
export { selectCandidates, type Candidate } from './candidates.ts';
export { AnswerScheduler, SchedulerError, type SchedulerOptions } from './scheduler.ts';
