export { OnnxAggregator, type Aggregation, type Aggregator, type Prefix } from './aggregate.ts';
export { MemoryConcatenator } from './concat.ts';
