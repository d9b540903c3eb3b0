import { S3Client } from '@aws-sdk/client-s3';
import { presignGetObject } from '../functions/portal/presign.ts';
const c = new S3Client({ region: 'eu-west-2', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x', sessionToken: 'tok' } });
console.log(await presignGetObject(c, { Bucket: 'my-lake', Key: 'published/profiles/2025-26/100108.pdf', ResponseContentDisposition: 'attachment; filename="a.pdf"' }, 300));
const c2 = new S3Client({ region: 'eu-west-2', endpoint: 'http://127.0.0.1:5000', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
console.log(await presignGetObject(c2, { Bucket: 'my-lake', Key: 'published/x y.pdf' }, 60));
