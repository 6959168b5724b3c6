import { ValidationError } from '@tongban/errors';
import { Hold, HoldAdministration, HoldDescription, HoldNotFoundError, ReleaseResult } from '@tongban/kafka';
import { HoldsController } from './holds.controller';

function controller() {
  const administration = {
    listHolds: jest.fn(async (_o?: { includeClosed?: boolean; limit?: number }): Promise<Hold[]> => []),
    describeHold: jest.fn(async (_caseKey: string): Promise<HoldDescription | undefined> => undefined),
    releaseHold: jest.fn(async (caseKey: string, resolution: 'replayed' | 'discarded', _o?: { republish?: boolean }): Promise<ReleaseResult> => ({
      caseKey,
      resolution,
      outcome: 'released',
      applied: 2,
    })),
  } satisfies HoldAdministration;
  return { administration, holds: new HoldsController(administration) };
}

describe('the internal holds API', () => {
  it.each([
    [undefined, undefined, { includeClosed: false, limit: 100 }],
    ['true', '20', { includeClosed: true, limit: 20 }],
    ['false', '1000', { includeClosed: false, limit: 1000 }],
  ])('lists holds (all=%s, limit=%s)', async (all, limit, asked) => {
    const { administration, holds } = controller();
    await expect(holds.list(all, limit)).resolves.toEqual({ holds: [] });
    expect(administration.listHolds).toHaveBeenCalledWith(asked);
  });

  it.each(['0', '1001', '2.5', 'ten'])('refuses limit=%s', async (limit) => {
    await expect(controller().holds.list(undefined, limit)).rejects.toBeInstanceOf(ValidationError);
  });

  it('answers 404 for a case without a hold', async () => {
    await expect(controller().holds.get('SUB-1')).rejects.toBeInstanceOf(HoldNotFoundError);
  });

  it.each([
    [{ resolution: 'replayed' }, { republish: undefined }],
    [{ resolution: 'discarded', republish: false }, { republish: false }],
  ])('releases with %j', async (body, options) => {
    const { administration, holds } = controller();
    await expect(holds.release('SUB-1', body)).resolves.toMatchObject({ caseKey: 'SUB-1', outcome: 'released' });
    expect(administration.releaseHold).toHaveBeenCalledWith('SUB-1', body.resolution, options);
  });

  it.each([
    [{}, ['resolution']],
    [{ resolution: 'applied' }, ['resolution']],
    [{ resolution: 'replayed', republish: 'yes' }, ['republish']],
    [{ resolution: 'later', republish: 1 }, ['resolution', 'republish']],
  ])('refuses the release body %j, naming %j', async (body, paths) => {
    const { administration, holds } = controller();
    const refused = await holds.release('SUB-1', body).catch((e) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).problems.map((p) => p.path)).toEqual(paths);
    expect(administration.releaseHold).not.toHaveBeenCalled();
  });
});
