// The benchmark tasks (tasks.mjs) registered with workerpool, which needs its own worker script.
import workerpool from 'workerpool';
import { work, workBig } from './tasks.mjs';

workerpool.worker({ work, workBig });
