import { MemoryBlobStore } from './memory.js';
import { describeBlobStore } from './contract.js';

describeBlobStore('memory', async () => ({ store: new MemoryBlobStore(), cleanup: async () => undefined }));
