import { registerHealthStoreContract } from '../test-support/health-store-contract.js';
import { MemoryHealthStore } from './store.js';

registerHealthStoreContract('memory', () => Promise.resolve(new MemoryHealthStore()));
