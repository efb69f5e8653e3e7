import type { FastifyInstance } from 'fastify';
import { pageBody, paginationQuerySchema, readPageRequest, type PaginationQuery } from '../../platform/http/pagination.js';
import { baseUrlOf, errorResponses, errorShape, idParamsSchema, type IdParams } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal } from '../accounts/principal.js';
import {
  certificateViewSchema,
  presentCertificate,
  uploadCertificateBodySchema,
  type UploadCertificateBody,
} from './certificates.schema.js';
import { activateCertificate, listCertificates, revokeCertificate, showCertificate, uploadCertificate } from './certificates.service.js';

const errors = { ...errorResponses, 409: errorShape } as const;
const certificateBody = { type: 'object', properties: { certificate: certificateViewSchema } } as const;
const tags = ['certificates'];

/**
 * The certificates of the account's mapped domain (admins). Zendesk's
 * paths; the `.json` suffix is stripped by the app before routing. No answer
 * ever carries a private key.
 */
export function certificateRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Querystring: PaginationQuery }>(
      '/api/v2/certificates',
      {
        schema: {
          tags,
          summary: 'List the account’s certificates',
          querystring: { type: 'object', properties: paginationQuerySchema },
          response: {
            200: {
              type: 'object',
              additionalProperties: true,
              properties: { certificates: { type: 'array', items: certificateViewSchema } },
            },
            ...errors,
          },
        },
      },
      async (request) => {
        const page = readPageRequest(request.query);
        const { rows, count } = await listCertificates(deps, requirePrincipal(request), page);
        const baseUrl = baseUrlOf(request);
        const now = deps.clock.now();
        const views = rows.map((row) => presentCertificate(row, baseUrl, now));
        return pageBody('certificates', views, page, `${baseUrl}/api/v2/certificates.json`, count);
      },
    );

    app.post<{ Body: UploadCertificateBody }>(
      '/api/v2/certificates',
      {
        config: { rateLimit: { max: 120, timeWindow: '1 minute' } },
        schema: {
          tags,
          summary: 'Upload a certificate chain and its private key; it waits, pending, for activation',
          body: uploadCertificateBodySchema,
          response: { 201: certificateBody, ...errors },
        },
      },
      async (request, reply) => {
        const { certificate_pem, private_key_pem } = request.body.certificate;
        const row = await uploadCertificate(deps, requirePrincipal(request), {
          certificatePem: certificate_pem,
          privateKeyPem: private_key_pem,
        });
        return reply.status(201).send({ certificate: presentCertificate(row, baseUrlOf(request), deps.clock.now()) });
      },
    );

    app.get<{ Params: IdParams }>(
      '/api/v2/certificates/:id',
      { schema: { tags, summary: 'Show a certificate', params: idParamsSchema, response: { 200: certificateBody, ...errors } } },
      async (request) => {
        const row = await showCertificate(deps, requirePrincipal(request), Number(request.params.id));
        return { certificate: presentCertificate(row, baseUrlOf(request), deps.clock.now()) };
      },
    );

    app.put<{ Params: IdParams }>(
      '/api/v2/certificates/:id/activate',
      {
        schema: {
          tags,
          summary: 'Serve this certificate for its host names; the active one it covers is superseded',
          params: idParamsSchema,
          response: { 200: certificateBody, ...errors },
        },
      },
      async (request) => {
        const { certificate } = await activateCertificate(deps, requirePrincipal(request), Number(request.params.id));
        return { certificate: presentCertificate(certificate, baseUrlOf(request), deps.clock.now()) };
      },
    );

    app.put<{ Params: IdParams }>(
      '/api/v2/certificates/:id/revoke',
      {
        schema: {
          tags,
          summary: 'Stop serving this certificate, at once',
          params: idParamsSchema,
          response: { 200: certificateBody, ...errors },
        },
      },
      async (request) => {
        const row = await revokeCertificate(deps, requirePrincipal(request), Number(request.params.id));
        return { certificate: presentCertificate(row, baseUrlOf(request), deps.clock.now()) };
      },
    );
    done();
  };
}
