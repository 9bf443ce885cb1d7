import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';

export class OpenViewerDto {
  /** See the desktop without operating it: the relay drops the browser's keys, pointer and clipboard. */
  @ApiPropertyOptional({ default: false, description: "See the desktop only: the platform drops the browser's keyboard, mouse and clipboard input" })
  @IsOptional()
  @IsBoolean()
  view_only?: boolean;
}

export class ViewerTicketResponseDto {
  @ApiProperty({
    description: 'Open this URL in the browser, once, before expires_at: it starts a viewer session (a path-scoped cookie) and shows noVNC',
  })
  url!: string;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty() view_only!: boolean;
}

/** Where a project's viewer is opened (the POST route); null while the project cannot be viewed. */
export function viewerOpenPath(projectId: string): string {
  return `/api/projects/${projectId}/viewer`;
}

/**
 * The noVNC page of a session, connecting its WebSocket back through the session's relay path. `origin` is
 * where the browser reaches the API: with host and port given, every noVNC version resolves `path` from the
 * root (1.6+ would otherwise resolve it against the page, and 1.5 and older always from the root).
 */
export function viewerPagePath(sessionId: string, viewOnly: boolean, origin: URL | null): string {
  const base = `/viewer/${sessionId}/`;
  const query = new URLSearchParams({ autoconnect: '1', path: `viewer/${sessionId}/websockify`, resize: 'scale' });
  if (origin) {
    const secure = origin.protocol === 'https:';
    query.set('host', origin.hostname);
    query.set('port', origin.port || (secure ? '443' : '80'));
    query.set('encrypt', secure ? '1' : '0');
  }
  // noVNC's own view-only switch, for its UI; the relay enforces view-only whatever the page does.
  if (viewOnly) query.set('view_only', '1');
  return `${base}vnc.html?${query.toString()}`;
}
