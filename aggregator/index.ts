export { MemoryConcatenator, type Prefix } from './concat.ts';
