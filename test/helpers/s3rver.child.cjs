// Runs s3rver in its own process. Started with --openssl-legacy-provider: s3rver makes
// ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has in its legacy provider.
const S3rver = require('s3rver');
const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
server.run().then(({ port }) => process.stdout.write(`${JSON.stringify({ port })}\n`));
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
