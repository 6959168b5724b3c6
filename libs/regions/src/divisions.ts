/** An administrative division (GB/T 2260) that tongban knows by name. */
export interface Division {
  code: string;
  name: string;
  parent?: string;
}

/**
 * The divisions of the 川渝 pilot that tongban routes between. A code that is well formed but not listed
 * here is refused as unknown; extra divisions are added by configuration (TONGBAN_EXTRA_DIVISIONS).
 */
export const KNOWN_DIVISIONS: readonly Division[] = [
  { code: '510000', name: '四川省 Sichuan' },
  { code: '510100', name: '成都市 Chengdu', parent: '510000' },
  { code: '510104', name: '锦江区 Jinjiang', parent: '510100' },
  { code: '510105', name: '青羊区 Qingyang', parent: '510100' },
  { code: '510106', name: '金牛区 Jinniu', parent: '510100' },
  { code: '510107', name: '武侯区 Wuhou', parent: '510100' },
  { code: '510108', name: '成华区 Chenghua', parent: '510100' },
  { code: '512000', name: '资阳市 Ziyang', parent: '510000' },
  { code: '512002', name: '雁江区 Yanjiang', parent: '512000' },
  { code: '512021', name: '安岳县 Anyue', parent: '512000' },
  { code: '512022', name: '乐至县 Lezhi', parent: '512000' },
  { code: '500000', name: '重庆市 Chongqing' },
  { code: '500106', name: '沙坪坝区 Shapingba', parent: '500000' },
  { code: '500107', name: '九龙坡区 Jiulongpo', parent: '500000' },
  { code: '500111', name: '大足区 Dazu', parent: '500000' },
  { code: '500112', name: '渝北区 Yubei', parent: '500000' },
];

/**
 * Service offices that are not administrative divisions. The Chongqing high-tech zone spans parts of
 * Jiulongpo and Shapingba: its cases carry the real district code of the address plus this office id.
 */
export interface ServiceOffice {
  id: string;
  name: string;
  /** The division whose node the office belongs to and whose keys may speak for it. */
  division: string;
  /** District codes the office may put on its cases. */
  districts: string[];
}

export const SERVICE_OFFICES: readonly ServiceOffice[] = [
  { id: 'CQ-HTZ', name: '重庆高新区 Chongqing high-tech zone', division: '500000', districts: ['500106', '500107'] },
];
