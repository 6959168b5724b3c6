import { maskValue } from './pii-kinds';

describe('maskValue', () => {
  it.each([
    ['id-number', '500111196804170022', '500111********0022'],
    ['id-number', '51010419850630005X', '510104********005X'],
    ['name', '李秀英', '李*'],
    ['name', '张德福', '张*'],
    ['name', '刘强', '刘*'],
    ['name', '欧阳娜娜', '欧阳*'],
    ['name', 'Anna Schmidt', 'A* S*'],
    ['phone', '13812341234', '138****1234'],
    ['address', '锦江区春熙路 88 号 3 栋 2 单元 501', '锦江区***'],
    ['address', '四川省成都市锦江区春熙路 88 号', '四川省成都市锦江区***'],
    ['address', '重庆市大足区龙岗街道 1 号', '重庆市大足区***'],
    ['address', '春熙路 88 号', '***'],
    ['birth-date', '1968-04-17', '1968-**-**'],
    ['account', '6222 0212 3456 7890 123', '****0123'],
    ['health', '50011119680417002241', '***'],
    ['health', 'PHYSICAL', '***'],
    ['income', '1234.50', '***'],
    ['income', 1200, '***'],
    ['property', 2, '***'],
    ['free-text', '申请人已于上月迁出', '***'],
    ['an-unknown-kind', 'anything', '***'],
    ['name', null, null],
  ])('masks a %s %j as %j', (kind, value, masked) => {
    expect(maskValue(kind, value)).toEqual(masked);
  });
});
