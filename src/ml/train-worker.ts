// Worker thread entry: runs one training round off the query path and posts the new weights back.
import { parentPort, workerData } from 'worker_threads';
import { TrainRequest, trainRound } from './training';

const result = trainRound(workerData as TrainRequest);
parentPort!.postMessage(result, [result.params.buffer as ArrayBuffer]);
