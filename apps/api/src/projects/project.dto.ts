import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ProjectRecord } from '@pantheon/db';
import { PROJECT_STATUSES } from '@pantheon/events';
import { subnetForIndex } from '@pantheon/ipam';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { PageInfoDto, PageQueryDto } from '../common/pagination.dto';
import { viewerOpenPath } from '../viewer/viewer.dto';

export const WINDOWS_VERSIONS = ['11'] as const;

export class VmSpecDto {
  @ApiPropertyOptional({ minimum: 2, maximum: 64, description: 'RAM in GB (default from config)' })
  @IsOptional() @IsInt() @Min(2) @Max(64)
  ram_gb?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 16 })
  @IsOptional() @IsInt() @Min(1) @Max(16)
  cpu_cores?: number;

  @ApiPropertyOptional({ minimum: 32, maximum: 1024, description: 'Disk in GB' })
  @IsOptional() @IsInt() @Min(32) @Max(1024)
  disk_gb?: number;

  @ApiPropertyOptional({ enum: WINDOWS_VERSIONS, default: '11' })
  @IsOptional() @IsIn(WINDOWS_VERSIONS, { message: `windows_version must be one of: ${WINDOWS_VERSIONS.join(', ')}` })
  windows_version?: (typeof WINDOWS_VERSIONS)[number];
}

export class CreateProjectDto {
  @ApiProperty({ minLength: 1, maxLength: 64, example: 'Quarterly report agent' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 64)
  @Matches(/^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u, { message: 'name may contain letters, digits, spaces and . _ - (starting with a letter or digit)' })
  name!: string;

  @ApiPropertyOptional({ type: VmSpecDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => VmSpecDto)
  vm?: VmSpecDto;
}

export class ProjectListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: PROJECT_STATUSES })
  @IsOptional()
  @IsIn(PROJECT_STATUSES, { message: `status must be one of: ${PROJECT_STATUSES.join(', ')}` })
  status?: string;
}

export class DeleteProjectQueryDto {
  @ApiPropertyOptional({ description: "The project's exact name, confirming the deletion" })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  confirm?: string;
}

export class VmSpecResponseDto {
  @ApiProperty() ram_gb!: number;
  @ApiProperty() cpu_cores!: number;
  @ApiProperty() disk_gb!: number;
  @ApiProperty({ enum: WINDOWS_VERSIONS }) windows_version!: string;
}

export class ProjectNetworkDto {
  @ApiProperty({ example: '172.30.7.0/24' }) subnet!: string;
  @ApiProperty({ example: '172.30.7.254' }) gateway!: string;
  @ApiProperty({ example: '172.30.7.1' }) tools_ip!: string;
  @ApiProperty({ example: '172.30.7.2' }) vm_ip!: string;
  @ApiProperty({ example: '172.30.7.20' }) share_ip!: string;
}

export class ProjectResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: PROJECT_STATUSES }) status!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Current or last provisioning step' }) step!: string | null;
  @ApiProperty({ minimum: 0, maximum: 100 }) progress!: number;
  @ApiProperty({ nullable: true, type: String }) last_error!: string | null;
  @ApiProperty({ type: VmSpecResponseDto }) vm!: VmSpecResponseDto;
  @ApiProperty({ nullable: true, type: ProjectNetworkDto }) network!: ProjectNetworkDto | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Token budget for LLM calls made by the project' })
  token_budget!: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: "Connect: POST here (owner's bearer) for a single-use link that opens the desktop in the browser; null unless running",
  })
  viewer_url!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class ProjectListResponseDto {
  @ApiProperty({ type: [ProjectResponseDto] }) data!: ProjectResponseDto[];
  @ApiProperty() page!: PageInfoDto;
}

export function mapProject(p: ProjectRecord): ProjectResponseDto {
  const subnet = p.subnetIndex ? subnetForIndex(p.subnetIndex) : null;
  const spec = (p.vmSpec ?? {}) as Partial<VmSpecResponseDto>;
  return {
    id: p.id,
    name: p.name,
    status: p.status,
    step: p.progressStep,
    progress: p.progress,
    last_error: p.lastError,
    vm: {
      ram_gb: spec.ram_gb ?? 0,
      cpu_cores: spec.cpu_cores ?? 0,
      disk_gb: spec.disk_gb ?? 0,
      windows_version: spec.windows_version ?? '11',
    },
    network: subnet
      ? { subnet: subnet.cidr, gateway: subnet.gateway, tools_ip: subnet.tools, vm_ip: subnet.vm, share_ip: subnet.share }
      : null,
    token_budget: p.tokenBudget === null || p.tokenBudget === undefined ? null : Number(p.tokenBudget),
    viewer_url: subnet && p.status === 'running' ? viewerOpenPath(p.id) : null,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

export class ProjectBudgetDto {
  @ApiProperty({ nullable: true, type: Number, minimum: 0, description: 'Token budget (prompt + completion) for calls made by this project; null = unlimited' })
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000_000)
  token_budget!: number | null;
}
