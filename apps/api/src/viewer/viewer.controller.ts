import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, Public, RequestMeta } from '@pantheon/auth';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { IdParamDto } from '../common/id-param.dto';
import { ReqMeta } from '../common/request-meta';
import { OpenViewerDto, viewerPagePath, ViewerTicketResponseDto } from './viewer.dto';
import { relayViewerAsset, viewerCookie, viewerSecret } from './viewer.http';
import { ViewerService } from './viewer.service';

@ApiTags('projects')
@ApiBearerAuth()
@Controller('projects/:id/viewer')
export class ViewerController {
  constructor(private readonly viewer: ViewerService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: "Connect: a single-use link (about 60 s) that opens the project's desktop in the browser" })
  @ApiCreatedResponse({ type: ViewerTicketResponseDto })
  @ApiConflictResponse({ description: 'The project is not running' })
  open(@CurrentUser() user: AuthUser, @Param() { id }: IdParamDto, @Body() dto: OpenViewerDto): Promise<ViewerTicketResponseDto> {
    return this.viewer.open(user.id, id, dto.view_only ?? false);
  }
}

/**
 * The browser side, outside `/api` and without a bearer (a browser opening a link has none): the ticket link,
 * then noVNC's files from the VM under the session's path, authorized by the session's cookie.
 * The WebSocket at `/viewer/<id>/websockify` is relayed by ViewerSocketRelay.
 */
@Public()
@Controller('viewer')
export class ViewerRelayController {
  constructor(private readonly viewer: ViewerService) {}

  @Get('t/:ticket')
  @ApiExcludeEndpoint()
  async redeem(@Param('ticket') ticket: string, @ReqMeta() meta: RequestMeta, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { session, secret } = await this.viewer.redeem(ticket, meta);
    res.setHeader('set-cookie', viewerCookie(session.id, secret, req.secure));
    res.setHeader('cache-control', 'no-store');
    res.setHeader('referrer-policy', 'no-referrer');
    res.redirect(303, viewerPagePath(session.id, session.viewOnly, this.viewer.browserOrigin(req.protocol, req.headers.host)));
  }

  // Each noVNC page load fetches a few dozen files; they are authorized by the session, not rate-limited.
  @SkipThrottle()
  @Get(':session/*path')
  @ApiExcludeEndpoint()
  async asset(@Param('session') sessionId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { upstream } = await this.viewer.authorize(sessionId, viewerSecret(req.headers.cookie));
    await relayViewerAsset(upstream, sessionId, req, res);
  }
}

