import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { ProviderKeyRecord } from '@pantheon/db';
import { PROVIDER_IDS, ProviderId } from '@pantheon/providers';
import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsString, IsUrl, Length, Matches, ValidateIf } from 'class-validator';
import { PageInfoDto } from '../common/pagination.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

// Users call them API keys: the wire names (routes, schemas) keep that word; the code says provider key.
@ApiSchema({ name: 'CreateApiKeyDto' })
export class CreateProviderKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 64, example: 'Personal OpenRouter' })
  @Transform(trim)
  @IsString()
  @Length(1, 64)
  name!: string;

  @ApiProperty({ enum: PROVIDER_IDS })
  @IsIn(PROVIDER_IDS, { message: `provider must be one of: ${PROVIDER_IDS.join(', ')}` })
  provider!: ProviderId;

  @ApiProperty({ writeOnly: true, minLength: 8, maxLength: 512, description: 'The secret; never returned' })
  @IsString()
  @Length(8, 512)
  @Matches(/^[\x21-\x7e]+$/, { message: 'key must be printable ASCII without spaces' })
  key!: string;

  @ApiProperty({
    required: false,
    description:
      'Required for provider "custom": an OpenAI-compatible base URL. Refused when its host is or resolves to a loopback, private, link-local, CGNAT, multicast, reserved or platform address (unless the operator allows it in OUTBOUND_ALLOW_HOSTS).',
  })
  @ValidateIf((o: CreateProviderKeyDto) => o.provider === 'custom' || o.base_url !== undefined)
  @IsNotEmpty({ message: 'base_url is required for provider "custom"' })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'base_url must be an http(s) URL' })
  // The SDK appends paths such as /models: a query or fragment would let the URL pick a different path.
  @Matches(/^[^?#]*$/, { message: 'base_url must not contain a query (?) or fragment (#)' })
  @Length(1, 2048)
  base_url?: string;
}

/** Everything a client may know about a stored key: never the key, never its ciphertext. */
@ApiSchema({ name: 'ApiKeyResponseDto' })
export class ProviderKeyResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: PROVIDER_IDS }) provider!: string;
  @ApiProperty({ nullable: true, type: String }) base_url!: string | null;
  @ApiProperty({ description: 'Last four characters of the key (empty for very short keys)' }) last4!: string;
  @ApiProperty({ example: 'sha256:1a2b3c4d5e6f7a8b' }) fingerprint!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_used_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_tested_at!: string | null;
  @ApiProperty({ nullable: true, type: Boolean }) last_test_ok!: boolean | null;
}

@ApiSchema({ name: 'ApiKeyListResponseDto' })
export class ProviderKeyListResponseDto {
  @ApiProperty({ type: [ProviderKeyResponseDto] }) data!: ProviderKeyResponseDto[];
  @ApiProperty() page!: PageInfoDto;
}

export function mapProviderKey(k: ProviderKeyRecord): ProviderKeyResponseDto {
  return {
    id: k.id,
    name: k.name,
    provider: k.provider,
    base_url: k.baseUrl,
    last4: k.last4,
    fingerprint: k.fingerprint,
    created_at: k.createdAt.toISOString(),
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    last_tested_at: k.lastTestedAt?.toISOString() ?? null,
    last_test_ok: k.lastTestOk,
  };
}

export interface KeyTestResult {
  ok: boolean;
  provider: string;
  checked_at: string;
  error?: string;
}

export interface ProviderStatus {
  id: ProviderId;
  has_key: boolean;
  last_tested_at: string | null;
  last_test_ok: boolean | null;
}
