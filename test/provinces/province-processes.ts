import { twoProvinces } from '../../tools/stack/provinces';
import { portsFrom, ProvinceServices } from '../support/province-processes';
import { SIDE } from './province-stack';

/**
 * Both provinces' services as `npm start` runs them, on the clusters the provinces tests use (the default
 * infrastructure's, or their own side pair) and on ports from `sichuanPorts` / `chongqingPorts`.
 */
export class ProvinceProcesses extends ProvinceServices {
  constructor(prefixTag: string, sichuanPorts: number, chongqingPorts: number) {
    super(
      prefixTag,
      twoProvinces(
        { TONGBAN_KAFKA_PORT: String(SIDE.sichuan.port), TONGBAN_KAFKA_CQ_PORT: String(SIDE.chongqing.port) },
        { sichuan: portsFrom(sichuanPorts), chongqing: portsFrom(chongqingPorts) },
      ),
    );
  }
}
